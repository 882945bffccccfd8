/**
 * Reads a required environment variable at cold start. A missing value is a deployment
 * fault, so it fails the init phase loudly instead of every request quietly.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Configuration error: environment variable ${name} is not set for this function.`);
  }
  return value;
}
