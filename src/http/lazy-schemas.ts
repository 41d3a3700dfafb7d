import { createRequire } from 'node:module';
import type { ValidatorFactory } from '@fastify/ajv-compiler';
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler';

type AjvCompiler = typeof import('@fastify/ajv-compiler');
type FastJsonStringifyCompiler = typeof import('@fastify/fast-json-stringify-compiler');
type Validate = ReturnType<ReturnType<ValidatorFactory>>;
type Serialize = ReturnType<ReturnType<SerializerFactory>>;

// Synchronous loading on first use: a route's first request cannot wait for an import().
const requireCjs = createRequire(import.meta.url);

/** Calls `make` once, on the first call of the function it returns. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for answers), made
 * lazy: a route's validator or serializer is compiled the first time a request needs it,
 * and the compilers themselves are loaded then.
 *
 * Why: loading ajv and compiling every schema of every route (each GET twice, for HEAD;
 * each error status of each route) was the largest part of start-up after loading modules,
 * and most of it is for answers a running server rarely or never gives. The first request
 * that needs a schema pays its compile, about a millisecond, once; the first one that needs
 * ajv also pays loading it. The test suite sends every route its answers, so a schema that
 * does not compile still fails there.
 */
export function lazyCompilers(): { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } {
  const validatorFactory = once(() => (requireCjs('@fastify/ajv-compiler') as AjvCompiler)());
  const serializerFactory = once(() => (requireCjs('@fastify/fast-json-stringify-compiler') as FastJsonStringifyCompiler)());
  return {
    buildValidator(externalSchemas, options) {
      const compiler = once(() => validatorFactory()(externalSchemas, options));
      return (route) => {
        const validator = once(() => compiler()(route));
        const lazy = ((data: unknown) => {
          const validate = validator();
          const valid = validate(data);
          // Fastify reads a failed check's errors from the function it called.
          lazy.errors = validate.errors;
          return valid;
        }) as Validate;
        return lazy;
      };
    },
    buildSerializer(externalSchemas, options) {
      const compiler = once(() => serializerFactory()(externalSchemas, options));
      return (route) => {
        const serializer = once((): Serialize => compiler()(route));
        return (data) => serializer()(data);
      };
    },
  };
}
