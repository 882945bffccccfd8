import { describe, expect, it } from 'vitest';
import type { CategoryName } from '../../functions/catalog/category-store.ts';
import { CategoryMap } from '../../functions/search/live-index.ts';

describe('the categories a search instance knows', () => {
  it('reads the categories again for an unknown slug at most every 10 seconds', async () => {
    let reads = 0;
    const names: CategoryName[] = [{ id: 'home', slug: 'home', name: 'Home' }];
    const categories = new CategoryMap(async () => {
      reads++;
      return names;
    });
    await categories.refresh(0);
    expect(await categories.idOfSlug('home', 1_000)).toBe('home');
    expect(await categories.idOfSlug('no-such-category', 1_000)).toBeUndefined();
    expect(await categories.idOfSlug('no-such-category', 2_000)).toBeUndefined();
    expect(reads).toBe(1);
    // A category created since is found once the wait is over.
    names.push({ id: '01JLIGHTING', slug: 'lighting', name: 'Lighting' });
    expect(await categories.idOfSlug('lighting', 10_000)).toBe('01JLIGHTING');
    expect(reads).toBe(2);
  });
});
