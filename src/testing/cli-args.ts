import { parseArgs } from 'node:util';

/** What the emulator server was asked for on its command line. */
export interface CliSettings {
  help: boolean;
  port: number;
  /** Friendly name of the Verify service to create, or undefined for none. */
  serviceName: string | undefined;
  accountSid: string | undefined;
  authToken: string | undefined;
  /** How webhook bodies are sent: form-encoded (Twilio's usual) or JSON with bodySHA256. */
  webhookBody: 'form' | 'json';
}

export const USAGE = `Usage: passport-twilio-verify-push-emulator [options]

Starts a Twilio Verify Push emulator on 127.0.0.1 and prints, on one line of stdout, the JSON
{ "url", "accountSid", "authToken", "serviceSid"? } that emulatorClient() and emulatorDevice() from
passport-twilio-verify-push/testing take. It runs until SIGINT (Ctrl+C) or SIGTERM.

Options:
  --port <n>             TCP port (default 0: a free port the system picks)
  --service              also create a Verify service and print its SID
  --service-name <name>  the service's friendly name (implies --service)
  --account-sid <AC…>    account SID to accept (default: a random one)
  --auth-token <token>   auth token to accept and sign webhooks with (default: a random one)
  --webhook-body <form|json>
                         send webhooks form-encoded (default) or as JSON signed through bodySHA256
  -h, --help             show this text
`;

/** A command line the server cannot run with; the message says what to change. */
export class CliUsageError extends Error {}

export function parseCliArgs(argv: string[]): CliSettings {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        port: { type: 'string' },
        service: { type: 'boolean' },
        'service-name': { type: 'string' },
        'account-sid': { type: 'string' },
        'auth-token': { type: 'string' },
        'webhook-body': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) {
    throw new CliUsageError('--port must be a whole number from 0 to 65535.');
  }
  const webhookBody = values['webhook-body'] ?? 'form';
  if (webhookBody !== 'form' && webhookBody !== 'json') throw new CliUsageError('--webhook-body must be form or json.');
  const serviceName = values['service-name'] ?? (values.service ? 'Emulated Verify' : undefined);
  return {
    help: values.help ?? false,
    port,
    serviceName,
    accountSid: values['account-sid'],
    authToken: values['auth-token'],
    webhookBody,
  };
}
