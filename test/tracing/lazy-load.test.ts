/**
 * Tracing off costs nothing to load: only src/tracing/otel-sdk.ts imports OpenTelemetry's code, and
 * only loadTracing() imports that file, dynamically, when an endpoint is set. Every other mention
 * of @opentelemetry in src/ is a type import (erased when compiled).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';

const src = join(projectRoot, 'src');
const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(src, f));
const importsOf = (text: string) => [...text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gm)]
  .map((m) => ({ typeOnly: m[1] !== undefined, from: m[2]! }));

describe('OpenTelemetry is loaded only when tracing is on', () => {
  it('is value-imported by src/tracing/otel-sdk.ts alone', () => {
    const offenders = files.filter((f) => !f.endsWith(join('tracing', 'otel-sdk.ts')))
      .flatMap((f) => importsOf(readFileSync(f, 'utf8')).filter((i) => !i.typeOnly && i.from.startsWith('@opentelemetry/'))
        .map((i) => `${relative(projectRoot, f)}: ${i.from}`));
    expect(offenders).toEqual([]);
  });

  it('otel-sdk.ts is reached only through a dynamic import', () => {
    const users = files.filter((f) => /otel-sdk\.js'/.test(readFileSync(f, 'utf8'))).map((f) => relative(projectRoot, f));
    expect(users).toEqual([join('src', 'tracing', 'tracing.ts')]);
    expect(readFileSync(join(src, 'tracing', 'tracing.ts'), 'utf8')).toMatch(/await import\('\.\/otel-sdk\.js'\)/);
    expect(importsOf(readFileSync(join(src, 'tracing', 'tracing.ts'), 'utf8')).filter((i) => i.from.includes('otel-sdk'))).toEqual([]);
  });
});
