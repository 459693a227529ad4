/** Types of eslint.layers.js (plain JavaScript: ESLint loads it with eslint.config.js, without a TypeScript loader). */
import type { Linter } from 'eslint';

export declare const LAYERS: readonly { name: string; members: readonly string[] }[];
export declare const importRules: Linter.Config[];
