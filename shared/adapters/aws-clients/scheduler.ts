import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { common, once } from './once.ts';

export const schedulerClient = /* @__PURE__ */ once(() => new SchedulerClient(common));
