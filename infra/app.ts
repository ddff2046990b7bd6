import { StrategyValidationError } from '#shared/errors.ts';
import { createContactApp, loadDeployedStrategy } from './contact-app.ts';
import { SettingsError } from './settings.ts';

// The CDK entry point (cdk.json "app"). A bad setting or strategy is the user's to fix: print its
// message, which lists every problem, and exit non-zero, without a stack trace. Anything else is a
// bug and keeps its stack.
try {
  const { app } = createContactApp({ loadStrategy: loadDeployedStrategy });
  app.synth();
} catch (error) {
  if (error instanceof SettingsError || error instanceof StrategyValidationError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
