import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { common, once, withoutSdkLog } from './once.ts';

export const schedulerClient = /* @__PURE__ */ once(() => withoutSdkLog(new SchedulerClient(common)));
