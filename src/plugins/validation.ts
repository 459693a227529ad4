/** A 422 in FastAPI's shape: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}. */
export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class RequestValidationError extends Error {
  readonly statusCode = 422;
  constructor(readonly items: ValidationItem[]) {
    super(items.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.name = 'RequestValidationError';
  }
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const partNames: Record<string, string> = { body: 'body', params: 'path', querystring: 'query', headers: 'header' };

/** Ajv errors (params, query, headers) in FastAPI's shape. */
export function fromAjvErrors(errors: AjvError[], context: string): ValidationItem[] {
  return errors.map((error) => {
    const loc: (string | number)[] = [partNames[context] ?? context];
    for (const part of error.instancePath.split('/').filter(Boolean)) loc.push(/^\d+$/.test(part) ? Number(part) : part);
    switch (error.keyword) {
      case 'required':
        loc.push(String(error.params.missingProperty));
        return { loc, msg: 'Field required', type: 'missing' };
      case 'format':
        if (error.params.format === 'uuid') return { loc, msg: 'Input should be a valid UUID', type: 'uuid_parsing' };
        return { loc, msg: `Input should be a valid ${String(error.params.format)}`, type: `${String(error.params.format)}_parsing` };
      case 'enum':
        return {
          loc,
          msg: `Input should be ${(error.params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(' or ')}`,
          type: 'enum',
        };
      case 'type':
        return { loc, msg: `Input should be a valid ${String(error.params.type)}`, type: `${String(error.params.type)}_type` };
      case 'minimum':
        return { loc, msg: `Input should be greater than or equal to ${String(error.params.limit)}`, type: 'greater_than_equal' };
      case 'maximum':
        return { loc, msg: `Input should be less than or equal to ${String(error.params.limit)}`, type: 'less_than_equal' };
      case 'minLength':
        return { loc, msg: `String should have at least ${String(error.params.limit)} character(s)`, type: 'string_too_short' };
      case 'maxLength':
        return { loc, msg: `String should have at most ${String(error.params.limit)} characters`, type: 'string_too_long' };
      case 'pattern':
        return { loc, msg: `String should match pattern '${String(error.params.pattern)}'`, type: 'string_pattern_mismatch' };
      default:
        return { loc, msg: error.message ?? 'Invalid value', type: error.keyword };
    }
  });
}
