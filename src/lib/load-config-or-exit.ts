import { type Config, ConfigError, loadConfig } from '../config/config.js';

/**
 * The configuration, or exit 2 with every problem listed: how each entry point (npm start, the
 * cluster, the commands) starts, so a wrong variable is a message, not a stack trace.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
