// Bundled IN PLACE OF `@aws-sdk/credential-provider-node` (an esbuild alias set in
// lib/constructs/endpoint-function.ts); never imported by name.
//
// Every SDK client's runtime config imports the default credential chain statically, and that
// chain drags in the SSO, INI, process, web-identity, IMDS and container providers plus the
// nested STS/SSO/sign-in clients: a third of a function's bundle, parsed at every cold start.
// In Lambda the chain always ends at its first link, the environment: the runtime sets
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN for the execution role (the
// local runtime sets them too). So the bundled "default chain" is that first link only.
// Code run unbundled (tests, seeding, scripts) still gets the SDK's full chain.
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/** The SDK's `defaultProvider`, reduced to the environment variables Lambda sets. */
export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);
