import { Type } from 'typebox';

/** Body of every RFC 6749 §5.2 error; `detail` repeats the description for FastAPI-style front ends. */
export const OAuthErrorBody = Type.Object(
  {
    error: Type.String(),
    error_description: Type.String(),
    detail: Type.String(),
  },
  { $id: 'OAuthError', description: 'RFC 6749 §5.2 error' },
);

/** Body of RFC 6750 failures and of other errors, as FastAPI answers them. */
export const DetailBody = Type.Object(
  { detail: Type.String(), error: Type.Optional(Type.String()) },
  { $id: 'Detail', description: 'Error with a human-readable detail' },
);

/**
 * `limit` and `offset` of every paginated list, to spread into a route's query schema.
 * Query strings stay strings (the app does not coerce types); readPage reads the digits.
 */
export const PageFields = {
  limit: Type.Optional(Type.String({ pattern: '^(1000|[1-9][0-9]{0,2})$', description: '1 to 1000, default 100' })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'default 0' })),
};

export const PageQuery = Type.Object(PageFields, { additionalProperties: false });

/** The page a query asks for, once its schema has checked the digits. */
export function readPage(query: { readonly limit?: string | undefined; readonly offset?: string | undefined }): { limit: number; offset: number } {
  return { limit: Number(query.limit ?? 100), offset: Number(query.offset ?? 0) };
}
