/**
 * Minting one-tap acknowledge links (ADR 006) while the router preformats an episode's pages: one link
 * per page and channel, so an acknowledgement names who it was sent to. The links are stored (links.ts)
 * before the execution starts and before anyone is paged; a page never carries a link that does not
 * exist yet.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type AckLink, expiryFor, linkUrl, newLinkId, putLinks, seededLinkId } from '../ack-link/links';
import { maskPhone } from '../shared/mask';
import type { LevelSettings, RotationMemberSettings } from './settings';

/** Where links go: the Function URL base and the table (from the router's environment). */
export interface AckLinkStore {
  readonly baseUrl: string;
  readonly table: string;
  readonly dynamo: Pick<DynamoDBClient, 'send'>;
}

export interface PageLinks {
  readonly email?: string | undefined;
  readonly sms?: string | undefined;
}

/** "a…@example.com", or "one of a…@example.com, b…@example.com". */
function oneOf(masked: readonly string[] | undefined): string | undefined {
  if (!masked?.length) return undefined;
  return masked.length === 1 ? masked[0] : `one of ${masked.join(', ')}`;
}

/** Collects the links of one episode; `store()` writes them. */
export class LinkMinter {
  readonly minted: AckLink[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly episode: { readonly alarm: string; readonly episode: Date; readonly title: string },
    private readonly now: Date,
    /** The delivery's seed (deliverySeed): ids then repeat when the same delivery is retried. */
    private readonly seed?: string,
  ) {}

  private mint(level: string, recipient: string, dueAt: Date): string {
    const link: AckLink = {
      id: this.seed === undefined ? newLinkId() : seededLinkId(this.seed, this.minted.length),
      alarm: this.episode.alarm,
      episode: this.episode.episode.toISOString(),
      level,
      recipient,
      title: this.episode.title,
      createdAt: this.now.toISOString(),
      expiresAt: expiryFor(dueAt > this.now ? dueAt : this.now),
    };
    this.minted.push(link);
    return linkUrl(this.baseUrl, link.id);
  }

  /** The links of the page `level` gets at `dueAt` (to `member` when the level rotates). */
  linksFor(level: LevelSettings, dueAt: Date, member?: RotationMemberSettings): PageLinks {
    if (member) {
      return {
        ...(member.topicArn ? { email: this.mint(level.name, member.name, dueAt) } : {}),
        ...(member.phone
          ? { sms: this.mint(level.name, `${member.name} (${maskPhone(member.phone)})`, dueAt) }
          : {}),
      };
    }
    const email = level.email ? (oneOf(level.masked?.email) ?? `${level.name} (e-mail)`) : undefined;
    const sms = level.sms ? (oneOf(level.masked?.sms) ?? `${level.name} (SMS)`) : undefined;
    return {
      ...(email ? { email: this.mint(level.name, email, dueAt) } : {}),
      ...(sms ? { sms: this.mint(level.name, sms, dueAt) } : {}),
    };
  }
}

export async function storeLinks(store: AckLinkStore, minter: LinkMinter): Promise<void> {
  await putLinks(store.dynamo, store.table, minter.minted);
}
