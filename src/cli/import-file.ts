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
  const content = text.replace(/^\uFEFF/, '');
  const trimmed = content.trim();
  // JSON gets the text as it is in the file, so that a syntax error's line and column are the file's.
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return fromJson(content, file);
  return fromCsv(trimmed, file);
}

function fromJson(text: string, file: string): ImportedUser[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the file, which holds password hashes.
    throw new PolicyViolation(jsonSyntaxError(text, file));
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

/** `FILE:LINE:COLUMN: ...` (1-based, columns in characters) for JSON that JSON.parse refused. */
function jsonSyntaxError(text: string, file: string): string {
  const at = firstJsonSyntaxError(text);
  if (at === undefined) return `${file} is not valid JSON`;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
  return `${file}:${line}:${column}: ${at >= text.length ? 'the JSON ends too soon' : 'not valid JSON'}`;
}

const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const JSON_LITERAL = /true|false|null/y;
const JSON_SPACE = /[ \t\n\r]*/y;

/**
 * The offset where `text` first breaks the JSON grammar (RFC 8259), the text's length when
 * it ends too soon, undefined when it is valid. JSON.parse says where only in some of its
 * messages, and differently from one Node version to the next.
 */
function firstJsonSyntaxError(text: string): number | undefined {
  const open: string[] = [];
  let i = 0;
  let expect: 'value' | 'key' | 'next' = 'value';
  const skip = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  for (;;) {
    skip(JSON_SPACE);
    const c = text[i];
    if (expect === 'value') {
      if (c === '{' || c === '[') {
        open.push(c === '{' ? '}' : ']');
        i++;
        skip(JSON_SPACE);
        if (text[i] === open.at(-1)) {
          open.pop();
          i++;
          expect = 'next';
        } else expect = c === '{' ? 'key' : 'value';
      } else if (skip(JSON_STRING) || skip(JSON_NUMBER) || skip(JSON_LITERAL)) {
        expect = 'next';
      } else return i;
    } else if (expect === 'key') {
      if (!skip(JSON_STRING)) return i;
      skip(JSON_SPACE);
      if (text[i] !== ':') return i;
      i++;
      expect = 'value';
    } else {
      const close = open.at(-1);
      if (close === undefined) return i < text.length ? i : undefined;
      if (c === ',') {
        i++;
        expect = close === '}' ? 'key' : 'value';
      } else if (c === close) {
        open.pop();
        i++;
      } else return i;
    }
  }
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
