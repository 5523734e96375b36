/**
 * The twilio client class, named through its own declaration file rather than `import twilio from 'twilio'`.
 * twilio's root declarations also declare its JWT helpers, which import `jsonwebtoken`, whose types twilio does
 * not install: an app that type-checks its libraries (`skipLibCheck: false`) would fail on them merely for
 * importing this package's testing entry. This is the very class `twilio.Twilio` names, so a client typed here
 * is a `twilio.Twilio` in the app's code and the other way round.
 */
export type { default as TwilioClient } from 'twilio/lib/rest/Twilio.js';
