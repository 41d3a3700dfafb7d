import { guardSuite } from '../helpers/guard-suite.js';

guardSuite('node');
