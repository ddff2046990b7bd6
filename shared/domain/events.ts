/** The public event sources of DESIGN.md "Public contracts" (other programs depend on these names). */
export const PROFILE_SOURCE = 'contact.profiles';
export const CONSENT_SOURCE = 'contact.consent';
export const CUSTOMERS_SOURCE = 'contact.customers';
/** Feedback the platform emits about itself (SMS delivery failures, disabled push endpoints). */
export const FEEDBACK_SOURCE = 'contact.feedback';
/** The bus apps publish to. */
export const TRIGGER_BUS_NAME = 'contact-triggers';
/** SES configuration-set events (delivered only to the account's default bus). */
export const SES_SOURCE = 'aws.ses';
