/**
 * PostgreSQL's scanner truncates identifiers longer than NAMEDATALEN - 1 (63) bytes and says so with a
 * NOTICE (42622). libpg-query truncates them too but drops the notice; this finds them again in the
 * statement text: unquoted identifiers (folded to lower case) and quoted ones, outside string constants,
 * dollar quotes and comments.
 */

/** MAX_IDENTIFIER_BYTES: NAMEDATALEN - 1. */
const MAX_IDENTIFIER_BYTES = 63;

/** LONG_RUN: a quick test that the text holds a run of 64 or more identifier characters at all. */
const LONG_RUN = /[\p{L}\p{N}_$]{64,}|"[^"]{64,}|[^\p{ASCII}]/u;

/** truncateIdentifier clips to 63 bytes without splitting a character (pg_mbcliplen). */
function truncateIdentifier(s: string): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > MAX_IDENTIFIER_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** longIdentifierNotices returns PostgreSQL's truncation notice for each long identifier, in text order. */
export function longIdentifierNotices(text: string): string[] {
  if (!LONG_RUN.test(text)) return [];
  const out: string[] = [];
  const note = (id: string): void => {
    if (Buffer.byteLength(id, 'utf8') > MAX_IDENTIFIER_BYTES)
      out.push(`identifier "${id}" will be truncated to "${truncateIdentifier(id)}"`);
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') [depth, i] = [depth + 1, i + 2];
        else if (text[i] === '*' && text[i + 1] === '/') [depth, i] = [depth - 1, i + 2];
        else i++;
      }
    } else if (c === "'") {
      // A string constant; E'...' strings also escape with backslashes.
      const escapes = i > 0 && /[eE]/.test(text[i - 1]!) && !/[\p{L}\p{N}_$]/u.test(text[i - 2] ?? ' ');
      i++;
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      let id = '';
      i++;
      while (i < n) {
        if (text[i] === '"' && text[i + 1] === '"') {
          id += '"';
          i += 2;
        } else if (text[i] === '"') break;
        else id += text[i++];
      }
      i++;
      note(id);
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(text.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))![0];
      const end = text.indexOf(tag, i + tag.length);
      i = end < 0 ? n : end + tag.length;
    } else if (/[\p{L}_]/u.test(c)) {
      let j = i;
      while (j < n && /[\p{L}\p{N}_$]/u.test(text[j]!)) j++;
      // Unquoted identifiers fold ASCII letters only (CAFÉ is cafÉ).
      note(text.slice(i, j).replace(/[A-Z]/g, (x) => x.toLowerCase()));
      i = j;
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[0-9A-Za-z_.]/.test(text[i]!)) i++;
    } else i++;
  }
  return out;
}
