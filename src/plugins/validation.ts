/**
 * Request validation: the route schemas are compiled by Ajv with the `money` format registered,
 * and Ajv's errors are answered in FastAPI's 422 shape: {"detail": [{"loc", "msg", "type"}]},
 * with pydantic's wording. Bodies are validated without type coercion (a JSON null must not
 * become ""), path, query and headers with it (they arrive as text).
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { checkAmount, isAmountText } from '../ledger/money.js';
import type { InputProblem } from '../ledger/errors.js';

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: true, allErrors: true,
    // verbose: errors carry the offending data and its schema, so a money error can say which rule it broke.
    verbose: true,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addFormat('money', { type: 'string', validate: isAmountText });
  return ajv;
}

/** The validator compiler for every route: one Ajv for bodies, one for the text parts. */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = createAjv(false);
  const text = createAjv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : text).compile(schema as object);
}

const partNames: Record<string, string> = { body: 'body', params: 'path', querystring: 'query', headers: 'header' };

/** Pydantic's answer for an amount that is not text at all (null, true, an object). */
const NOT_A_DECIMAL = { type: 'decimal_type', msg: 'Decimal input should be an integer, float, string or Decimal object' };

/** Ajv errors in FastAPI's shape. */
export function toInputProblems(errors: ErrorObject[], context: string): InputProblem[] {
  return errors.map((error) => {
    const loc: (string | number)[] = [partNames[context] ?? context];
    for (const part of error.instancePath.split('/').filter(Boolean)) loc.push(/^\d+$/.test(part) ? Number(part) : part);
    const isMoney = (error.parentSchema as { format?: unknown } | undefined)?.format === 'money';
    switch (error.keyword) {
      case 'required':
        loc.push(String(error.params.missingProperty));
        return { loc, msg: 'Field required', type: 'missing' };
      case 'format': {
        if (isMoney) {
          const checked = checkAmount(error.data);
          return checked.ok ? { loc, msg: 'Invalid amount', type: 'value_error' } : { loc, msg: checked.msg, type: checked.type };
        }
        const format = String(error.params.format);
        if (format === 'uuid') return { loc, msg: 'Input should be a valid UUID', type: 'uuid_parsing' };
        return { loc, msg: `Input should be a valid ${format}`, type: `${format}_parsing` };
      }
      case 'enum':
        return {
          loc,
          msg: `Input should be ${(error.params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(' or ')}`,
          type: 'enum',
        };
      case 'type':
        if (isMoney) return { loc, ...NOT_A_DECIMAL };
        if (loc.length === 1 && context === 'body') {
          if (error.data === undefined || error.data === null) return { loc, msg: 'Field required', type: 'missing' };
          if (error.params.type === 'object') {
            return { loc, msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' };
          }
        }
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
