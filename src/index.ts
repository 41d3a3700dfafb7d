// The package root, `gatehouse`: the framework-free verifier behind the adapters, for an API
// on node:http or anything else that is handed an Authorization header. It loads no framework.
// `refusalFor` turns what `authenticate` throws into the answer Gatehouse's own routes give.
export { createVerifier, refusalFor, TokenVerifier } from './middleware/core.js';
export type { Fetch, GuardLog, GuardOptions, IntrospectionOptions, Principal, Refusal, TokenClaims } from './middleware/core.js';
