import { Type } from 'typebox';

export const UserProfile = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  full_name: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean(),
  roles: Type.Array(Type.String()),
});
