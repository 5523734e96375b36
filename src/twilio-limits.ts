/**
 * Twilio's documented limits on what a push challenge carries (the Verify API's Challenge resource), checked
 * at construction and before any call so a configuration error never costs a request.
 */
export const MAX_MESSAGE_LENGTH = 256;
export const MAX_FIELDS = 20;
export const MAX_LABEL_LENGTH = 36;
export const MAX_VALUE_LENGTH = 128;
export const MAX_HIDDEN_DETAILS_LENGTH = 1024;
