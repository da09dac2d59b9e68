import { ErrorCode, MaError } from '@ma/protocol';
import type { Selectable } from 'kysely';
import type { CardsTable, EquipmentDatabase, PeopleTable } from '../equipment/equipment-database.js';
import { toStorageError } from '../store/storage-errors.js';

export interface PersonRow {
  id: number;
  name: string;
  email: string | null;
  user_id: number | null;
  /** The linked MA user's name, when there is one. */
  user_name: string | null;
  groups: string[];
  disabled: boolean;
  created_at: number;
  updated_at: number;
}

export interface CardRow {
  id: number;
  person_id: number;
  card_hash: string;
  last4: string;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface PersonInput {
  name: string;
  email?: string | null;
  user_id?: number | null;
  groups?: string[];
  disabled?: boolean;
}

const toPerson = (r: Selectable<PeopleTable> & { user_name: string | null }): PersonRow => {
  const { groups_json, ...rest } = r;
  return { ...rest, disabled: Boolean(r.disabled), groups: JSON.parse(groups_json) as string[] };
};
const toCard = (r: Selectable<CardsTable>): CardRow => r;

/** People who may hold cards (members, staff; MA users or not) and their cards, stored as keyed hashes. */
export class PeopleStore {
  constructor(private readonly e: EquipmentDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  #select() {
    return this.e.db.selectFrom('people').leftJoin('users', 'users.id', 'people.user_id').selectAll('people').select('users.name as user_name');
  }

  create(input: PersonInput, now = Date.now()): Promise<PersonRow> {
    return this.#guard(`create person "${input.name}"`, async () => {
      const { id } = await this.e.db
        .insertInto('people')
        .values({
          name: input.name,
          email: input.email ?? null,
          user_id: input.user_id ?? null,
          groups_json: JSON.stringify([...new Set(input.groups ?? [])]),
          disabled: this.e.bool(input.disabled ?? false),
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return (await this.get(id))!;
    });
  }

  update(id: number, patch: Partial<PersonInput>, now = Date.now()): Promise<PersonRow | undefined> {
    return this.#guard('update a person', async () => {
      await this.e.db
        .updateTable('people')
        .set({
          updated_at: now,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.user_id !== undefined ? { user_id: patch.user_id } : {}),
          ...(patch.groups !== undefined ? { groups_json: JSON.stringify([...new Set(patch.groups)]) } : {}),
          ...(patch.disabled !== undefined ? { disabled: this.e.bool(patch.disabled) } : {}),
        })
        .where('id', '=', id)
        .execute();
      return this.get(id);
    });
  }

  remove(id: number): Promise<boolean> {
    return this.#guard('delete a person', async () => {
      const r = await this.e.db.deleteFrom('people').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  get(id: number): Promise<PersonRow | undefined> {
    return this.#guard('read a person', async () => {
      const r = await this.#select().where('people.id', '=', id).executeTakeFirst();
      return r && toPerson(r);
    });
  }

  getByName(name: string): Promise<PersonRow | undefined> {
    return this.#guard('read a person', async () => {
      const r = await this.#select().where('people.name', '=', name).executeTakeFirst();
      return r && toPerson(r);
    });
  }

  getByUserId(userId: number): Promise<PersonRow | undefined> {
    return this.#guard('read a person', async () => {
      const r = await this.#select().where('people.user_id', '=', userId).orderBy('people.id').executeTakeFirst();
      return r && toPerson(r);
    });
  }

  list(): Promise<PersonRow[]> {
    return this.#guard('list people', async () => (await this.#select().orderBy('people.name').execute()).map(toPerson));
  }

  addCard(personId: number, card: { card_hash: string; last4: string; label?: string | null }, now = Date.now()): Promise<CardRow> {
    return this.#guard('enrol a card', async () => {
      const existing = await this.e.db.selectFrom('cards').selectAll().where('card_hash', '=', card.card_hash).executeTakeFirst();
      if (existing) {
        const owner = await this.get(existing.person_id);
        throw new MaError(ErrorCode.Conflict, `the card ending ${card.last4} is already enrolled to ${owner?.name ?? `person ${existing.person_id}`}; remove it there first`);
      }
      return toCard(
        await this.e.db
          .insertInto('cards')
          .values({ person_id: personId, card_hash: card.card_hash, last4: card.last4, label: card.label ?? null, created_at: now, revoked_at: null })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    });
  }

  /** Revokes a card (kept, so the audit log and sessions still name it). */
  revokeCard(cardId: number, now = Date.now()): Promise<CardRow | undefined> {
    return this.#guard('revoke a card', async () => {
      await this.e.db.updateTable('cards').set({ revoked_at: now }).where('id', '=', cardId).where('revoked_at', 'is', null).execute();
      const r = await this.e.db.selectFrom('cards').selectAll().where('id', '=', cardId).executeTakeFirst();
      return r && toCard(r);
    });
  }

  cardsOf(personId: number): Promise<CardRow[]> {
    return this.#guard('list cards', async () => (await this.e.db.selectFrom('cards').selectAll().where('person_id', '=', personId).orderBy('id').execute()).map(toCard));
  }

  allCards(): Promise<CardRow[]> {
    return this.#guard('list cards', async () => (await this.e.db.selectFrom('cards').selectAll().orderBy('id').execute()).map(toCard));
  }

  getCard(cardId: number): Promise<CardRow | undefined> {
    return this.#guard('read a card', async () => {
      const r = await this.e.db.selectFrom('cards').selectAll().where('id', '=', cardId).executeTakeFirst();
      return r && toCard(r);
    });
  }

  cardByHash(hash: string): Promise<CardRow | undefined> {
    return this.#guard('look a card up', async () => {
      const r = await this.e.db.selectFrom('cards').selectAll().where('card_hash', '=', hash).executeTakeFirst();
      return r && toCard(r);
    });
  }
}
