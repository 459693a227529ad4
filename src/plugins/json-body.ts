/**
 * Lossless JSON bodies: a JSON number reaches the handler as its exact source text (a string),
 * so `1234567890123456.78` is that value and never a rounded double. Money never becomes a number.
 */
import type { FastifyInstance } from 'fastify';
import { parse } from 'lossless-json';

/** Bodies nested deeper than this are refused before parsing (the parser recurses). */
const nestingDepthMax = 64;

function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > nestingDepthMax) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

class BadJson extends Error {
  readonly statusCode = 400;
  constructor(message: string) { super(message); }
}

export function registerJsonBodyParser(app: FastifyInstance, bodyLimitBytes: number): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: bodyLimitBytes },
    (_request, body, done) => {
      const text = String(body).trim();
      // No body is not malformed JSON: many clients send this Content-Type on every request. An
      // endpoint that takes no body (wallet creation) answers as usual; one that needs a body
      // answers 422 "Field required", as FastAPI does.
      if (text === '') {
        done(null, undefined);
        return;
      }
      if (tooDeep(text)) {
        done(new BadJson(`JSON nested deeper than ${nestingDepthMax} levels`), undefined);
        return;
      }
      try {
        done(null, parse(text, null, (numberText: string) => numberText));
      } catch (error) {
        done(new BadJson(`Malformed JSON in request body: ${(error as Error).message.slice(0, 120)}`), undefined);
      }
    });
}
