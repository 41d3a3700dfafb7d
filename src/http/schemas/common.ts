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
