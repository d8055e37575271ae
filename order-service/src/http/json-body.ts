import { isUtf8 } from 'node:buffer';
import { errorCodes, type FastifyInstance } from 'fastify';

/**
 * Fastify's own JSON body parser (prototype poisoning refused as configured), fed only well-formed UTF-8.
 * JSON is UTF-8 (RFC 8259 §8.1); the default parser decodes other bytes as U+FFFD, so an order would keep
 * another name or address than the one sent, silently. Such a body is answered as not valid JSON (400).
 */
export function registerStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });
}
