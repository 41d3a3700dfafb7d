import { Type } from 'typebox';
import { PageFields } from './common.js';

export const UserProfile = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  full_name: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean(),
  roles: Type.Array(Type.String()),
});

// Bounds match the service's rules (usernames.ts, users.ts, passwords/policy.ts): the schema
// refuses oversized input before any work, the service says precisely what is wrong.
const Username = Type.String({ minLength: 1, maxLength: 256, description: 'letters, digits and . _ @ + -; compared case-insensitively' });
const Password = Type.String({ maxLength: 4096, format: 'password', description: '8 to 1024 characters' });
const Email = Type.Union([Type.String({ maxLength: 254 }), Type.Null()], { description: 'null or "" clears it' });
const FullName = Type.Union([Type.String({ maxLength: 256 }), Type.Null()], { description: 'null or "" clears it' });
const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, description: 'role names, each mapped to scopes by GATEHOUSE_ROLE_SCOPES; a new user gets ["user"] by default' });

/** `PATCH /users/me`: only the profile; username, roles and the disabled flag are not the user's to change. */
export const ProfilePatch = Type.Object(
  { email: Type.Optional(Email), full_name: Type.Optional(FullName) },
  { additionalProperties: false, minProperties: 1 },
);

export const PasswordChange = Type.Object(
  { current_password: Password, new_password: Password },
  { additionalProperties: false },
);

export const Registration = Type.Object(
  { username: Username, password: Password, email: Type.Optional(Email), full_name: Type.Optional(FullName) },
  { additionalProperties: false },
);

export const NewUser = Type.Object(
  {
    username: Username,
    password: Password,
    email: Type.Optional(Email),
    full_name: Type.Optional(FullName),
    roles: Type.Optional(Roles),
    disabled: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const UserPatch = Type.Object(
  { email: Type.Optional(Email), full_name: Type.Optional(FullName), roles: Type.Optional(Roles), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

export const PasswordSet = Type.Object({ password: Password }, { additionalProperties: false });

export const UserList = Type.Object({ total: Type.Integer(), users: Type.Array(UserProfile) });

export const UserListQuery = Type.Object(
  { ...PageFields, search: Type.Optional(Type.String({ maxLength: 256, description: 'part of the username (any case) or of the email' })) },
  { additionalProperties: false },
);

export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** A login that holds a refresh token (a refresh family); never a token or its hash. */
export const Session = Type.Object({
  id: Type.String(),
  client_id: Type.String(),
  scope: Type.String({ description: 'space-separated scopes granted at login' }),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time', description: 'absolute end, whatever the refreshes' }),
});

export const SessionList = Type.Object({ total: Type.Integer(), sessions: Type.Array(Session) });

export const OwnSessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const UserSessionParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  sessionId: Type.String({ minLength: 1, maxLength: 64 }),
});
