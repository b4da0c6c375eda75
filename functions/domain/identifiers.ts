/**
 * Identifiers of a user profile, mirroring Braze's identity model: external_id (unique), aliases
 * (label → name, a name unique per label, one alias per label per profile) and device ids (which
 * match only while the profile is anonymous). Each identifier has one canonical key string; the
 * aliases table holds one item per key pointing at the profile that claims it.
 */
import { escapeKeyPart as escapePart } from '../schemas/key-bytes';

export type Identifier =
  | { readonly kind: 'external_id'; readonly value: string }
  | { readonly kind: 'alias'; readonly label: string; readonly name: string }
  | { readonly kind: 'device_id'; readonly value: string };

/** Canonical key of an identifier, unique per workspace, e.g. `alias#email#a@b.c`. */
export const identifierKey = (identifier: Identifier): string => {
  switch (identifier.kind) {
    case 'external_id':
      return `ext#${escapePart(identifier.value)}`;
    case 'alias':
      return `alias#${escapePart(identifier.label)}#${escapePart(identifier.name)}`;
    case 'device_id':
      return `dev#${escapePart(identifier.value)}`;
  }
};

/** Human-readable form used in reports and samples. */
export const describeIdentifier = (identifier: Identifier): string =>
  identifier.kind === 'alias' ? `${identifier.label}:${identifier.name}` : identifier.value;

/** Partition key of a workspace-scoped item: no query can name another workspace's data. */
export const scoped = (workspaceId: string, key: string): string => `${workspaceId}#${key}`;
