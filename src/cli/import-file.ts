import { readFile } from 'node:fs/promises';
import { PolicyViolation } from '../errors.js';
import type { ImportedUser } from '../services/users.js';

/**
 * Reads users to import: the seed's `fake_users_db` as JSON (an object keyed by
 * username), a JSON array of the same records, or CSV with a header row naming the
 * fields (username, email, full_name, disabled, hashed_password, roles).
 */
export async function readImportFile(file: string): Promise<ImportedUser[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PolicyViolation(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return fromJson(trimmed, file);
  return fromCsv(trimmed, file);
}

function fromJson(text: string, file: string): ImportedUser[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PolicyViolation(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const records = Array.isArray(data)
    ? data
    : Object.entries(data as Record<string, unknown>).map(([key, value]) =>
        typeof value === 'object' && value !== null && !('username' in value) ? { ...value, username: key } : value,
      );
  return records.map((record, index) => toImported(record, `${file} record ${index + 1}`));
}

function toImported(record: unknown, where: string): ImportedUser {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new PolicyViolation(`${where} is not an object`);
  const r = record as Record<string, unknown>;
  const text = (name: string, required = false): string | null => {
    const value = r[name];
    if (value === undefined || value === null || value === '') {
      if (required) throw new PolicyViolation(`${where} has no ${name}`);
      return null;
    }
    if (typeof value !== 'string') throw new PolicyViolation(`${where}: ${name} must be a string`);
    return value;
  };
  const disabled = r['disabled'];
  if (disabled !== undefined && disabled !== null && typeof disabled !== 'boolean') {
    throw new PolicyViolation(`${where}: disabled must be true or false`);
  }
  const roles = r['roles'];
  if (roles !== undefined && (!Array.isArray(roles) || roles.some((x) => typeof x !== 'string'))) {
    throw new PolicyViolation(`${where}: roles must be a list of names`);
  }
  return {
    username: text('username', true) as string,
    email: text('email'),
    fullName: text('full_name'),
    disabled: disabled === true,
    hashedPassword: text('hashed_password', true) as string,
    ...(roles !== undefined ? { roles: roles as string[] } : {}),
  };
}

function fromCsv(text: string, file: string): ImportedUser[] {
  const rows = parseCsv(text);
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  if (!header || !header.includes('username') || !header.includes('hashed_password')) {
    throw new PolicyViolation(`${file}: the CSV header must name at least username and hashed_password`);
  }
  return rows
    .filter((row) => row.some((cell) => cell !== ''))
    .map((row, index) => {
      const where = `${file} line ${index + 2}`;
      if (row.length !== header.length) throw new PolicyViolation(`${where} has ${row.length} fields, the header ${header.length}`);
      const record: Record<string, unknown> = {};
      header.forEach((name, i) => {
        record[name] = row[i];
      });
      const disabled = String(record['disabled'] ?? '').toLowerCase();
      if (!['', 'true', 'false', '1', '0', 'yes', 'no'].includes(disabled)) throw new PolicyViolation(`${where}: disabled must be true or false`);
      record['disabled'] = ['true', '1', 'yes'].includes(disabled);
      if (typeof record['roles'] === 'string') record['roles'] = (record['roles'] as string).split(/[\s;]+/).filter(Boolean);
      if (Array.isArray(record['roles']) && (record['roles'] as string[]).length === 0) delete record['roles'];
      return toImported(record, where);
    });
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new PolicyViolation('CSV has an unterminated quoted field');
  row.push(field);
  rows.push(row);
  return rows;
}
