/**
 * The one schema of every setting. `Config` is its static type; the loader reads the environment by
 * walking it; docs/configuration.md is rendered from SECTIONS (`npm run docs:config`).
 */
import { Type, type Static } from 'typebox';
import { databaseSection, groupCommitSection, readCoalescingSection, retrySection } from './database-settings.js';
import { authSection, eventsSection, holdsSection, refusalsSection, walletsSection, webhooksSection } from './feature-settings.js';
import type { Section } from './section.js';
import { httpSection, observabilitySection, serverSection, tracingSection } from './service-settings.js';

/** In the order of docs/configuration.md. */
export const SECTIONS: readonly Section[] = [
  serverSection, observabilitySection, httpSection, databaseSection, retrySection, groupCommitSection,
  readCoalescingSection, authSection, walletsSection, holdsSection, refusalsSection, eventsSection, webhooksSection, tracingSection,
];

export const ConfigSchema = Type.Object({
  ...serverSection.settings,
  ...observabilitySection.settings,
  ...databaseSection.settings,
  ...retrySection.settings,
  http: Type.Object(httpSection.settings),
  groupCommit: Type.Object(groupCommitSection.settings),
  readCoalescing: Type.Object(readCoalescingSection.settings),
  auth: Type.Object(authSection.settings),
  wallets: Type.Object(walletsSection.settings),
  holds: Type.Object(holdsSection.settings),
  refusals: Type.Object(refusalsSection.settings),
  events: Type.Object(eventsSection.settings),
  webhooks: Type.Object(webhooksSection.settings),
  tracing: Type.Object(tracingSection.settings),
});

export type Config = Static<typeof ConfigSchema>;
