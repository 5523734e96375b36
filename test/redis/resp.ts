/**
 * Just enough of the Redis protocol (RESP2 and RESP3) for the test proxy to find where one command or one
 * reply ends, so it can forward whole commands, count replies and swallow exactly one of them.
 */

const CRLF = Buffer.from('\r\n');

/** Where the line starting at `start` ends (the index of its CR), or -1 when it has not fully arrived. */
function lineEnd(buffer: Buffer, start: number): number {
  return buffer.indexOf(CRLF, start);
}

/**
 * The end (exclusive) of the RESP value starting at `start`, or -1 when it has not fully arrived. Attributes
 * (`|`) and pushes (`>`) are values too; `isReply` tells the caller whether one answers a command.
 */
export function valueEnd(buffer: Buffer, start: number): number {
  if (start >= buffer.length) return -1;
  const type = String.fromCharCode(buffer[start] as number);
  const end = lineEnd(buffer, start);
  if (end < 0) return -1;
  const header = buffer.toString('latin1', start + 1, end);
  let next = end + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return next;
    case '$':
    case '!':
    case '=': {
      const length = Number(header);
      if (length < 0) return next;
      return buffer.length >= next + length + 2 ? next + length + 2 : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      const count = Number(header);
      if (count < 0) return next;
      const elements = type === '%' || type === '|' ? count * 2 : count;
      for (let i = 0; i < elements; i += 1) {
        next = valueEnd(buffer, next);
        if (next < 0) return -1;
      }
      // An attribute precedes the value it describes: both arrive as one.
      return type === '|' ? valueEnd(buffer, next) : next;
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/** Whether the value at `start` answers a command (a push message does not). */
export function isReply(buffer: Buffer, start: number): boolean {
  return buffer[start] !== '>'.charCodeAt(0);
}

/** The arguments of a command (an array of bulk strings), as latin1 text for matching. */
export function commandWords(buffer: Buffer, start: number, end: number): string[] {
  const words: string[] = [];
  const first = lineEnd(buffer, start);
  let at = first + 2;
  while (at < end) {
    const header = lineEnd(buffer, at);
    const length = Number(buffer.toString('latin1', at + 1, header));
    words.push(buffer.toString('latin1', header + 2, header + 2 + length));
    at = header + 2 + length + 2;
  }
  return words;
}
