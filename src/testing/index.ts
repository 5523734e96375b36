/**
 * `passport-twilio-verify-push/testing`: a Twilio Verify Push emulator (a real HTTP server that the
 * real twilio SDK talks to), a simulated device, webhooks signed as Twilio signs them, and fault injection.
 */
export { VerifyPushEmulator, type RunningEmulator } from './emulator.js';
export { SimulatedDevice } from './device.js';
export { EmulatorDeviceError } from './device-error.js';
export { emulatorClient } from './sdk-client.js';
export { emulatorDevice } from './remote-device.js';
export { twilioSignature } from './signature.js';
export type * from './types.js';

// The ChallengeStore contract, for authors of other stores (the emulator above does not use it).
export { challengeStoreContract } from '../stores/contract.js';
export type { StoreContractCheck, StoreContractHarness } from '../stores/contract.js';
export type { ChallengeStore, ChallengeRecord, ChallengeStatus, ChallengeListener, CounterResult } from '../stores/types.js';
