import { inject } from 'vitest';
import { captureLogs } from './support/log-capture.ts';

// The AWS SDK reaches the local servers only through its standard endpoint variables, exactly as the
// handlers do in the local runtime; no test builds a client with a hard-coded endpoint.
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
process.env.AWS_ENDPOINT_URL_SESV2 = inject('sesEndpoint');
process.env.AWS_ENDPOINT_URL_SNS = inject('snsEndpoint');
process.env.AWS_REGION ??= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_DEV ??= 'false';

// Every line this test process writes (stdout, stderr, console, the Powertools logger) also goes to
// .reports/logs/, which test/pii-scan-teardown.ts scans for personal data when the run ends.
captureLogs();
