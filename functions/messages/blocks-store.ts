import { profileExists } from '../accounts/erasure-fence.ts';
import { isConditionFailure, table, transactWrite } from '../core/db.ts';
import { ruleViolationAt } from '../core/domain-errors.ts';
import { accountGone, unknownUser } from './items.ts';
import { blockedIndex, blockKey } from './keys.ts';

/* Blocks: who does not accept conversations or messages from whom. */

const nowIso = () => new Date().toISOString();

const selfBlock = () => ruleViolationAt('self-block', 'You cannot block or unblock yourself.', 'path.userId');

/**
 * Blocks a user: they can no longer start a conversation with, or send a message to, the
 * caller. Idempotent (blocking twice keeps the first block). Unknown users are a 422; the
 * caller's own account must still exist, so a token that outlives an erasure writes nothing.
 */
export async function blockUser(blocker: string, blocked: string): Promise<void> {
  if (blocker === blocked) throw selfBlock();
  try {
    await transactWrite({
      TransactItems: [
        profileExists(blocked),
        profileExists(blocker),
        {
          Put: {
            TableName: table().tableName,
            Item: {
              ...blockKey(blocker, blocked),
              entity: 'block',
              gsi1pk: blockedIndex(blocked),
              gsi1sk: blocker,
              blockerId: blocker,
              blockedId: blocked,
              createdAt: nowIso(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
  } catch (error) {
    if (isConditionFailure(error, 0)) throw unknownUser(blocked, 'path.userId');
    if (isConditionFailure(error, 1)) throw accountGone();
    // Already blocked: nothing to do.
    if (!isConditionFailure(error, 2)) throw error;
  }
}

/** Lifts a block; idempotent (there may be none, or the user may be gone). */
export async function unblockUser(blocker: string, blocked: string): Promise<void> {
  if (blocker === blocked) throw selfBlock();
  // A transaction of one, for its conflict retries: sends check this very item in theirs.
  await transactWrite({
    TransactItems: [{ Delete: { TableName: table().tableName, Key: blockKey(blocker, blocked) } }],
  });
}
