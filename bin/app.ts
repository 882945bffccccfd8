import { App } from 'aws-cdk-lib';
import { addShopStacks } from '../lib/app.ts';
import { environmentConfigFromContext } from '../lib/config/environments.ts';

// The CDK app: `npx cdk synth|deploy -c env=<local|dev|staging|prod>`, with the operator's
// settings from the context (`-c alarmEmail=...`, or "shop:<env>" in cdk.json): README, "Deploy".
const app = new App();
try {
  addShopStacks(
    app,
    environmentConfigFromContext((key) => app.node.tryGetContext(key)),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
app.synth();
