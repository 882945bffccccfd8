import { monotonicFactory } from 'ulid';
import { DEFAULT_CATEGORIES } from '../../functions/catalog/category-model.ts';
import type { Category, ProductFields } from '../../functions/catalog/model.ts';
import { pickOne, seededRandom } from '../load/random.ts';

/*
 * The search bench's catalog: 50 labelled products with the words a shopper would type, hidden
 * among generated products that share their nouns (so `lamp` alone is ambiguous at 100k), and
 * the labelled queries: exact words, prefixes as typed, and one-edit typos.
 */

const LABELLED: readonly (readonly [string, Category])[] = [
  ['Brass Desk Lamp', 'home'],
  ['Merino Wool Blanket', 'home'],
  ['Cast Iron Skillet', 'home'],
  ['Bamboo Cutting Board', 'home'],
  ['Ceramic Teapot', 'home'],
  ['Noise Cancelling Headphones', 'electronics'],
  ['Mechanical Keyboard', 'electronics'],
  ['Portable Bluetooth Speaker', 'electronics'],
  ['USB-C Charger', 'electronics'],
  ['Webcam 4K', 'electronics'],
  ['Italian Cookbook', 'books'],
  ['World Atlas', 'books'],
  ['Mushroom Field Guide', 'books'],
  ['Poetry Anthology', 'books'],
  ['Detective Novel', 'books'],
  ['Garden Trowel', 'garden'],
  ['Watering Can', 'garden'],
  ['Terracotta Planter', 'garden'],
  ['Expandable Garden Hose', 'garden'],
  ['Tomato Seed Kit', 'garden'],
  ['Jigsaw Puzzle 1000 Pieces', 'toys'],
  ['Stunt Kite', 'toys'],
  ['Coding Robot', 'toys'],
  ['Wooden Train Set', 'toys'],
  ['Plush Teddy Bear', 'toys'],
  ['Yoga Mat', 'sports'],
  ['Leather Football', 'sports'],
  ['Insulated Water Bottle', 'sports'],
  ['Speed Jump Rope', 'sports'],
  ['Tennis Racket', 'sports'],
  ['Cashmere Scarf', 'fashion'],
  ['Hiking Backpack', 'fashion'],
  ['Running Sneakers', 'fashion'],
  ['Polarized Sunglasses', 'fashion'],
  ['Leather Belt', 'fashion'],
  ['Night Face Cream', 'beauty'],
  ['Boar Bristle Hair Brush', 'beauty'],
  ['Lavender Perfume', 'beauty'],
  ['Beeswax Lip Balm', 'beauty'],
  ['Olive Soap Set', 'beauty'],
  ['Arabica Coffee Beans', 'grocery'],
  ['Extra Virgin Olive Oil', 'grocery'],
  ['Green Tea Sampler', 'grocery'],
  ['Wildflower Honey', 'grocery'],
  ['Dark Chocolate Bar', 'grocery'],
  ['Concert Ukulele', 'music'],
  ['Jazz Vinyl Record', 'music'],
  ['Blues Harmonica', 'music'],
  ['Maple Drumsticks', 'music'],
  ['Acoustic Guitar Strings', 'music'],
];

/** A query and the labelled product (by name) a shopper means by it; `kind` for the report. */
export interface LabelledQuery {
  readonly q: string;
  readonly expected: string;
  readonly kind: 'words' | 'prefix' | 'typo';
}

const query = (q: string, expected: string, kind: LabelledQuery['kind']): LabelledQuery => ({
  q,
  expected,
  kind,
});

/** 58 labelled queries: top-3 hit rate is the share whose expected product is among the first three. */
export const LABELLED_QUERIES: readonly LabelledQuery[] = [
  query('brass lamp', 'Brass Desk Lamp', 'words'),
  query('merino blanket', 'Merino Wool Blanket', 'words'),
  query('cast iron', 'Cast Iron Skillet', 'words'),
  query('bamboo board', 'Bamboo Cutting Board', 'words'),
  query('ceramic teapot', 'Ceramic Teapot', 'words'),
  query('noise canc', 'Noise Cancelling Headphones', 'prefix'),
  query('mechan keyb', 'Mechanical Keyboard', 'prefix'),
  query('bluet speaker', 'Portable Bluetooth Speaker', 'prefix'),
  query('usb-c charger', 'USB-C Charger', 'words'),
  query('webcam 4k', 'Webcam 4K', 'words'),
  query('itallian cookbok', 'Italian Cookbook', 'typo'),
  query('wrold atlas', 'World Atlas', 'typo'),
  query('mushrom guide', 'Mushroom Field Guide', 'typo'),
  query('poetry antology', 'Poetry Anthology', 'typo'),
  query('detectve novel', 'Detective Novel', 'typo'),
  query('garden trowel', 'Garden Trowel', 'words'),
  query('watering can', 'Watering Can', 'words'),
  query('terracota planter', 'Terracotta Planter', 'typo'),
  query('expandable hose', 'Expandable Garden Hose', 'words'),
  query('tomato seeds', 'Tomato Seed Kit', 'typo'),
  query('jigsaw puzzle', 'Jigsaw Puzzle 1000 Pieces', 'words'),
  query('stunt kite', 'Stunt Kite', 'words'),
  query('coding robot', 'Coding Robot', 'words'),
  query('wooden train', 'Wooden Train Set', 'words'),
  query('teddy', 'Plush Teddy Bear', 'words'),
  query('yoga mat', 'Yoga Mat', 'words'),
  query('leather football', 'Leather Football', 'words'),
  query('insulated bottle', 'Insulated Water Bottle', 'words'),
  query('jump rope', 'Speed Jump Rope', 'words'),
  query('tennis raket', 'Tennis Racket', 'typo'),
  query('cashmere', 'Cashmere Scarf', 'words'),
  query('hiking backpak', 'Hiking Backpack', 'typo'),
  query('running sneakers', 'Running Sneakers', 'words'),
  query('polarised sunglasses', 'Polarized Sunglasses', 'typo'),
  query('leather belt', 'Leather Belt', 'words'),
  query('night cream', 'Night Face Cream', 'words'),
  query('boar bristle', 'Boar Bristle Hair Brush', 'words'),
  query('lavendr perfume', 'Lavender Perfume', 'typo'),
  query('beeswax', 'Beeswax Lip Balm', 'words'),
  query('olive soap', 'Olive Soap Set', 'words'),
  query('arabica coffee', 'Arabica Coffee Beans', 'words'),
  query('olive oil', 'Extra Virgin Olive Oil', 'words'),
  query('green tea', 'Green Tea Sampler', 'words'),
  query('wildflower honey', 'Wildflower Honey', 'words'),
  query('dark chocolate', 'Dark Chocolate Bar', 'words'),
  query('concert ukulele', 'Concert Ukulele', 'words'),
  query('jazz vinyl', 'Jazz Vinyl Record', 'words'),
  query('blues harmonica', 'Blues Harmonica', 'words'),
  query('maple drumsticks', 'Maple Drumsticks', 'words'),
  query('acoustic guitar', 'Acoustic Guitar Strings', 'words'),
  query('bras', 'Brass Desk Lamp', 'prefix'),
  query('merin', 'Merino Wool Blanket', 'prefix'),
  query('cashm', 'Cashmere Scarf', 'prefix'),
  query('lavend', 'Lavender Perfume', 'prefix'),
  query('wildfl', 'Wildflower Honey', 'prefix'),
  query('terrac', 'Terracotta Planter', 'prefix'),
  query('beesw', 'Beeswax Lip Balm', 'prefix'),
  query('arabic', 'Arabica Coffee Beans', 'prefix'),
];

/** The nouns the generated products share with the labelled ones, and their adjectives. */
const NOUNS = [
  'lamp',
  'blanket',
  'skillet',
  'board',
  'teapot',
  'headphones',
  'keyboard',
  'speaker',
  'charger',
  'cookbook',
  'atlas',
  'guide',
  'novel',
  'trowel',
  'planter',
  'hose',
  'puzzle',
  'kite',
  'robot',
  'train',
  'bear',
  'mat',
  'football',
  'bottle',
  'rope',
  'racket',
  'scarf',
  'backpack',
  'sneakers',
  'sunglasses',
  'belt',
  'cream',
  'brush',
  'perfume',
  'balm',
  'soap',
  'coffee',
  'oil',
  'tea',
  'honey',
  'chocolate',
  'ukulele',
  'record',
  'harmonica',
  'drumsticks',
  'strings',
];
const ADJECTIVES = [
  'classic',
  'compact',
  'deluxe',
  'eco',
  'pro',
  'smart',
  'travel',
  'vintage',
  'large',
  'small',
  'red',
  'blue',
  'black',
  'white',
  'soft',
  'heavy',
];
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ra',
  'to',
  'vu',
  'zen',
  'bri',
  'cor',
  'dal',
  'fen',
  'gor',
  'hul',
  'jin',
  'mar',
  'nox',
  'pel',
  'qui',
  'sol',
  'tar',
  'vel',
  'wix',
  'yor',
];
const FIRST_CREATED = Date.UTC(2025, 0, 1);

const title = (words: string) => words.replace(/\b\w/g, (c) => c.toUpperCase());

/**
 * `count` products (at least the 50 labelled), deterministic: generated names are a made-up
 * brand (about one per five products: the vocabulary grows with the catalog, as a real one
 * does), an adjective and a shared noun. The labelled products are spread evenly through time.
 */
export function searchCatalog(count: number): ProductFields[] {
  const random = seededRandom(2026);
  const brands = Array.from({ length: Math.max(50, Math.floor(count / 5)) }, () =>
    Array.from({ length: 2 + Math.floor(random() * 3) }, () => pickOne(random, SYLLABLES)).join(''),
  );
  const id = monotonicFactory(() => 0.5);
  const every = Math.max(1, Math.floor(count / LABELLED.length));
  return Array.from({ length: Math.max(count, LABELLED.length) }, (_, i) => {
    const labelled = i % every === 0 ? LABELLED[i / every] : undefined;
    const [name, category] = labelled ?? [
      title(`${pickOne(random, brands)} ${pickOne(random, ADJECTIVES)} ${pickOne(random, NOUNS)}`),
      pickOne(random, DEFAULT_CATEGORIES),
    ];
    const at = FIRST_CREATED + i * 1000;
    const createdAt = new Date(at).toISOString();
    return {
      id: id(at),
      name,
      description: `${name}: made by ${pickOne(random, brands)}, ${pickOne(random, ADJECTIVES)} and built to last.`,
      category,
      price: 300 + Math.floor(random() * 30_000),
      currency: 'EUR',
      stock: random() < 0.8 ? 1 + Math.floor(random() * 50) : 0,
      createdAt,
      updatedAt: createdAt,
    };
  });
}
