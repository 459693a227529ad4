/**
 * Errors Node's HTTP parser meets before Fastify sees a request (headers too large, a request
 * that arrives too slowly, malformed HTTP). Fastify's default answers with its own body shape;
 * ours keeps the service's one error shape, `{"detail": ...}`, and never echoes the parser's
 * message (it can quote raw request bytes).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface ClientErrorShape {
  status: number;
  detail: string;
}

function describe(code: string | undefined): ClientErrorShape {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'Request not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: 'Request headers are too large' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { status: 400, detail: 'Invalid Content-Length' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, detail: 'Invalid Transfer-Encoding or chunk' };
    default:
      return { status: 400, detail: 'Malformed HTTP request' };
  }
}

export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, detail } = describe(error.code);
  this.log.info({ code: error.code, status }, 'client error before routing');
  if (socket.writable) {
    const body = JSON.stringify({ detail });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    // Close once the answer is flushed (an immediate destroy could drop it).
    socket.destroySoon();
  } else {
    socket.destroy();
  }
}

/**
 * Fastify's router refuses some URLs before any route or error handler runs (a malformed
 * percent-encoding, a path parameter longer than maxParamLength); without this they would be
 * answered in Fastify's own body shape.
 */
export function frameworkErrors(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const [status, detail] = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? [414, 'A path parameter is too long']
    : error.code === 'FST_ERR_BAD_URL' ? [400, 'Malformed URL'] : [400, 'Bad Request'];
  request.log.info({ code: error.code, status }, 'client error in routing');
  void reply.code(status).header('x-content-type-options', 'nosniff').send({ detail });
}
