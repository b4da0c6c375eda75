/**
 * Admin CLI: `npm run admin -- <command>`. A thin wrapper over the domain functions, acting on the
 * local stack or, with `--stage <name>`, on a deployed one. Commands and flags: `usage` below
 * (workspaces and their destinations, DLQs, user imports and deletion, trace).
 */
import { parseArgs } from 'node:util';
import { dynamoWorkspaceStore } from '../functions/adapters/workspace-store';
import { systemClock } from '../functions/domain/ports';
import { createWorkspace, CredentialNotRotatableError, MAX_GRACE_SECONDS, rotateCredential, setHeapWebhookSecret, WorkspaceNotFoundError } from '../functions/domain/workspaces';
import { parseGraceOption } from './lib/grace-option';
import { issueMissingSigningKeys } from '../functions/domain/signing-keys';
import { configureAbTasty, describeAbTasty } from '../functions/domain/abtasty-destination';
import { hashSecret } from '../functions/shared/crypto';
import {
  CREDENTIAL_KINDS,
  PARTNER_KEY_POLICIES,
  UNPINNABLE_PARTNER_NAMES,
  canHoldPartnerKey,
  credentialKindSchema,
  partnerNameSchema,
  workspaceNameSchema,
  type PartnerKeyPolicy,
  type WorkspaceRecord,
} from '../functions/schemas/workspace';
import { abTastyUpdateFrom, readSecretOption } from './lib/abtasty-options';
import { parsePartnerKeyOption } from './lib/partner-key-option';
import { resolveTarget, type Target } from './lib/target';
import { dlqCommand } from './lib/dlq';
import { formatImportSummary, runUsersImport } from './lib/users-import';
import { dynamoBrazeExportRegistry } from '../functions/adapters/braze-export-registry';
import { brazeExportProblems, configureBrazeExport } from '../functions/domain/braze-export-settings';
import { IMPORT_FILE_FORMATS, type ImportFileFormat } from '../functions/domain/directory-import';
import { BRAZE_EXPORT_FLAGS, brazeExportUpdateFrom } from './lib/braze-export-options';
import { DECISION_LOG_FLAGS, decisionLogUpdateFrom } from './lib/decision-log-options';
import { decisionLogDays } from '../functions/domain/decision-log';
import { runTrace, runUsersDelete, TRACE_FLAGS } from './lib/trace-command';
import { CHANGE_WEBHOOK_FLAGS, changeWebhookUpdateFrom } from './lib/change-webhook-options';
import { changeWebhookProblems, configureChangeWebhook, describeChangeWebhook } from '../functions/domain/change-webhook-config';

const usage = `usage: npm run admin -- <command> [--stage <name>]
  workspace create --name <name> [--partner <name>] [--partner-key-policy any|pin|configured] [--json]
  workspace list [--json]
  workspace rotate --name <name> --credential <${CREDENTIAL_KINDS.join('|')}> [--grace <period, default 24h; 0 revokes at once>]
  workspace show --name <name> [--json]
  workspace issue-signing-keys
  workspace set --name <name> [--heap-webhook-secret <value>] [--allowed-partners a,b|*] [--partner-key-policy any|pin|configured]
                [--partner-key <partner>=<key>] [--heap-id-token-pin <token>]
                [--abtasty-account <account_identifier> --abtasty-partner <partner_name>
                 --abtasty-client-id <id> --abtasty-client-secret <value>] [--abtasty-segments all|<id>,<id>]
                [--abtasty-value <value>|''] [--abtasty-disable | --abtasty-enable]
                (a secret may be given as -, read from stdin, or @<file>)
                [--braze-rest-url <url> --braze-api-key <key|-|@file> --braze-export-segment <segment id>]
                [--braze-export-every <period, default 24h>] [--braze-export-disable | --braze-export-enable]
                [--decision-log on|off] [--decision-log-days <days, default 14>]
                [--change-webhook-url <https url> --change-webhook-secret <value|-|@file>]
                [--change-webhook-disable | --change-webhook-enable]   (signed membership changes, docs/events.md)
  dlq list
  dlq redrive --queue <cohortImport|currents|heapSync|abTastyDelivery|brazeExport|changeWebhook>
  users import <file.csv|file.jsonl|file.zip|file.gz> --workspace <name> [--format csv|jsonl|braze-export] [--rejects <file>]
  users delete --workspace <name> (--external-id <id> | --braze-id <id>)
  trace --workspace <name> --cohort <id> (--external-id <id> | --alias-label <l> --alias-name <n> | --device-id <id> | --braze-id <id>) [--json]
  trace --workspace <name> --segment <id> --visitor <id> [--json]`;

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const parseCli = () =>
  parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      partner: { type: 'string' },
      'partner-key-policy': { type: 'string' },
      'partner-key': { type: 'string' },
      'allowed-partners': { type: 'string' },
      'heap-webhook-secret': { type: 'string' },
      'heap-id-token-pin': { type: 'string' },
      'abtasty-account': { type: 'string' },
      'abtasty-partner': { type: 'string' },
      'abtasty-client-id': { type: 'string' },
      'abtasty-client-secret': { type: 'string' },
      'abtasty-segments': { type: 'string' },
      'abtasty-value': { type: 'string' },
      'abtasty-disable': { type: 'boolean' },
      'abtasty-enable': { type: 'boolean' },
      credential: { type: 'string' },
      grace: { type: 'string' },
      queue: { type: 'string' },
      workspace: { type: 'string' },
      rejects: { type: 'string' },
      format: { type: 'string' },
      ...BRAZE_EXPORT_FLAGS,
      ...DECISION_LOG_FLAGS,
      ...TRACE_FLAGS,
      ...CHANGE_WEBHOOK_FLAGS,
      stage: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });

type Values = ReturnType<typeof parseCli>['values'];

/** What every command acts on: the parsed options, the target stack and its workspace store. */
interface Cli {
  readonly values: Values;
  readonly positionals: string[];
  readonly target: Target;
  readonly store: ReturnType<typeof dynamoWorkspaceStore>;
}

const policy = (raw: string | undefined): PartnerKeyPolicy | undefined => {
  if (raw === undefined) return undefined;
  if (!(PARTNER_KEY_POLICIES as readonly string[]).includes(raw)) fail(`--partner-key-policy must be one of ${PARTNER_KEY_POLICIES.join(', ')}`);
  return raw as PartnerKeyPolicy;
};

const requireName = (values: Values): string => {
  const name = values.name ?? fail('--name is required');
  if (!workspaceNameSchema.safeParse(name).success) fail('--name must be lower-case letters, digits, - or _ (max 63)');
  return name;
};

const workspaceCreate = async ({ values, target, store }: Cli) => {
  const name = requireName(values);
  if (values.partner !== undefined && !canHoldPartnerKey(values.partner)) fail(`--partner must match [a-z0-9_-]{1,64} and not be ${UNPINNABLE_PARTNER_NAMES.join(' or ')}`);
  const credentials = await createWorkspace(
    { store, secrets: target.secrets(), clock: systemClock },
    { name, ...(values.partner ? { partnerName: values.partner } : {}), ...(values['partner-key-policy'] ? { partnerKeyPolicy: policy(values['partner-key-policy']) } : {}) },
  );
  if (values.json) console.log(JSON.stringify(credentials));
  else console.log(`Workspace ${name} created (${target.kind}). Store these now; they are not shown again:\n${JSON.stringify(credentials, null, 2)}`);
};

const workspaceList = async ({ values, store }: Cli) => {
  const workspaces = (await store.list()).map((w) => ({
    workspaceId: w.workspaceId,
    name: w.name,
    partnerName: w.partnerName,
    createdAt: w.createdAt,
    partnerKeyPolicy: w.partnerKeyPolicy,
    allowedPartners: w.allowedPartners ?? '*',
    heapIdTokenPinned: w.heapIdTokenPinned !== undefined,
  }));
  if (values.json) console.log(JSON.stringify(workspaces));
  else console.table(workspaces);
};

const workspaceRotate = async ({ values, target, store }: Cli) => {
  const name = requireName(values);
  const kind = credentialKindSchema.safeParse(values.credential);
  if (!kind.success) return fail(`--credential must be one of ${CREDENTIAL_KINDS.join(', ')}`);
  const graceSeconds = parseGraceOption(values.grace);
  if (graceSeconds === undefined || graceSeconds > MAX_GRACE_SECONDS) return fail('--grace takes 0 (revoke at once) or a period up to 30d, such as 90s, 30m, 24h or 7d');
  const rotated = await rotateCredential({ store, secrets: target.secrets(), clock: systemClock }, name, kind.data, { graceSeconds });
  console.log(JSON.stringify(rotated));
};

/** The settings changes `workspace set` asks for (the Heap secret apart: it is encrypted and stored on its own). */
const settingsChanges = (values: Values, workspace: WorkspaceRecord): Parameters<Cli['store']['update']>[1] => {
  const changes: Parameters<Cli['store']['update']>[1] = {};
  if (values['partner-key-policy'] !== undefined) changes.partnerKeyPolicy = policy(values['partner-key-policy']);
  if (values['allowed-partners'] !== undefined) {
    const list = values['allowed-partners'] === '*' ? [] : values['allowed-partners'].split(',').map((p) => p.trim());
    for (const partner of list) if (!partnerNameSchema.safeParse(partner).success) fail(`bad partner name: ${partner}`);
    // An empty list means every partner is allowed.
    changes.allowedPartners = list;
  }
  if (values['partner-key'] !== undefined) {
    const { partner, key } = parsePartnerKeyOption(values['partner-key']) ?? fail('--partner-key takes <partner>=<key>');
    if (!canHoldPartnerKey(partner)) fail(`--partner-key: "${partner}" is not a partner name that can hold a key ([a-z0-9_-]{1,64}, not ${UNPINNABLE_PARTNER_NAMES.join(' or ')})`);
    changes.partnerKeyHashes = { ...workspace.partnerKeyHashes, [partner]: hashSecret(key) };
  }
  if (values['heap-id-token-pin'] !== undefined) changes.heapIdTokenPinned = values['heap-id-token-pin'];
  try {
    const decisionLog = decisionLogUpdateFrom(values, workspace.decisionLog);
    if (decisionLog) changes.decisionLog = decisionLog;
  } catch (error) {
    fail((error as Error).message);
  }
  return changes;
};

/** Everything `workspace set` was asked to change is checked before anything is written. */
const workspaceSet = async ({ values, target, store }: Cli) => {
  const name = requireName(values);
  const workspace = (await store.getByName(name)) ?? fail(`No workspace named "${name}"`);
  const changes = settingsChanges(values, workspace);
  const heapSecret = values['heap-webhook-secret'] === undefined ? undefined : await readSecretOption(values['heap-webhook-secret']);
  if (heapSecret !== undefined && heapSecret.length < 8) fail('--heap-webhook-secret looks too short');
  const abTasty = await abTastyUpdateFrom(values).catch((error: Error) => fail(error.message));
  // The Braze flags are checked before anything is written (configureBrazeExport checks them again, whole).
  const braze = await brazeExportUpdateFrom(values).catch((error: Error) => fail(error.message));
  const brazeProblems = braze ? brazeExportProblems(workspace.brazeExport, braze) : [];
  if (brazeProblems.length > 0) fail(`Braze export not changed:\n  - ${brazeProblems.join('\n  - ')}`);
  const webhook = await changeWebhookUpdateFrom(values).catch((error: Error) => fail(error.message));
  const webhookProblems = webhook ? changeWebhookProblems(workspace.changeWebhook, webhook) : [];
  if (webhookProblems.length > 0) fail(`Change webhook not changed:\n  - ${webhookProblems.join('\n  - ')}`);
  if (abTasty) {
    const configured = await configureAbTasty({ store, secrets: target.secrets() }, workspace, abTasty);
    if (!configured.ok) fail(`AB Tasty destination not changed:\n  - ${configured.problems.join('\n  - ')}`);
  }
  if (heapSecret !== undefined) await setHeapWebhookSecret({ store, secrets: target.secrets() }, name, heapSecret);
  if (braze) {
    const registry = dynamoBrazeExportRegistry(target.doc, target.table('workspaces'));
    const configured = await configureBrazeExport({ store, secrets: target.secrets(), registry }, workspace, braze);
    if (!configured.ok) fail(`Braze export not changed:\n  - ${configured.problems.join('\n  - ')}`);
  }
  if (webhook) await configureChangeWebhook({ store, secrets: target.secrets() }, workspace, webhook);
  await store.update(workspace.workspaceId, changes);
  console.log(`Workspace ${name} updated.`);
};

/** A workspace's settings, without hashes, ciphertexts or secrets. */
const workspaceShow = async ({ values, store }: Cli) => {
  const name = requireName(values);
  const w = (await store.getByName(name)) ?? fail(`No workspace named "${name}"`);
  const shown = {
    workspaceId: w.workspaceId,
    name: w.name,
    partnerName: w.partnerName,
    createdAt: w.createdAt,
    partnerKeyPolicy: w.partnerKeyPolicy,
    partnersWithKeys: Object.keys(w.partnerKeyHashes),
    allowedPartners: w.allowedPartners ?? '*',
    heapIdTokenPinned: w.heapIdTokenPinned !== undefined,
    abTasty: w.abTasty ? describeAbTasty(w.abTasty) : null,
    decisionLogDays: decisionLogDays(w),
    changeWebhook: w.changeWebhook ? describeChangeWebhook(w.changeWebhook) : null,
  };
  console.log(values.json ? JSON.stringify(shown) : JSON.stringify(shown, null, 2));
};

const usersImport = async ({ values, positionals, target }: Cli) => {
  const file = positionals[2] ?? fail('users import takes a file: users import <file.csv|file.jsonl|file.zip|file.gz> --workspace <name>');
  const workspaceName = values.workspace ?? fail('--workspace is required');
  const format = values.format;
  if (format !== undefined && !(IMPORT_FILE_FORMATS as readonly string[]).includes(format)) fail(`--format must be one of ${IMPORT_FILE_FORMATS.join(', ')}`);
  const summary = await runUsersImport({
    file,
    workspaceName,
    doc: target.doc,
    tables: { workspaces: target.table('workspaces'), users: target.table('users'), aliases: target.table('aliases'), cohorts: target.table('cohorts') },
    ...(format ? { format: format as ImportFileFormat } : {}),
    ...(values.rejects ? { rejectsFile: values.rejects } : {}),
  });
  console.log(formatImportSummary(summary));
};

/** The migration to per-workspace signing keys: safe to re-run. */
const workspaceIssueSigningKeys = async ({ target, store }: Cli) => {
  const result = await issueMissingSigningKeys({ store, secrets: target.secrets(), clock: systemClock });
  console.log(`Signing keys issued to ${result.issued} workspace(s); ${result.had} had one already.`);
};

const COMMANDS: Record<string, (cli: Cli) => Promise<void>> = {
  'workspace create': workspaceCreate,
  'workspace list': workspaceList,
  'workspace rotate': workspaceRotate,
  'workspace set': workspaceSet,
  'workspace show': workspaceShow,
  'workspace issue-signing-keys': workspaceIssueSigningKeys,
  'users import': usersImport,
  'users delete': async ({ target, store, values }) => console.log(await runUsersDelete(target, store, values)),
  trace: async ({ target, store, values }) => console.log(await runTrace(target, store, values)),
};

const main = async () => {
  const { positionals, values } = parseCli();
  const [group, command] = positionals;
  if (values.help || !group) return console.log(usage);
  const target = resolveTarget(values.stage);
  const cli: Cli = { values, positionals, target, store: dynamoWorkspaceStore(target.doc, target.table('workspaces')) };
  if (group === 'dlq') return dlqCommand(target, command, values.queue);
  const run = COMMANDS[group === 'trace' ? group : `${group} ${command}`];
  if (!run) return fail(usage);
  await run(cli);
};

main().catch((error: unknown) => {
  if (error instanceof WorkspaceNotFoundError || error instanceof CredentialNotRotatableError) fail(error.message);
  console.error((error as Error).message);
  process.exit(1);
});
