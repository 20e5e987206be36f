/** shale/store: namespaces of typed entities over three interchangeable backends (docs/store.md). */
export type { Store, Change, ChangeSet, ChangeType, StoredRecord, EntityDecoder } from './store.js';
export { ChangesBuilder } from './changes-builder.js';
export { ShaleStore } from './shale-store.js';
export type { ShaleStoreOptions } from './shale-store.js';
export { FileStore } from './file-store.js';
export type { FileStoreOptions } from './file-store.js';
export { MemoryStore } from './memory-store.js';
export { PersistenceManager } from './persistence-manager.js';
export type { Repository } from './persistence-manager.js';
export { recordKey } from './key-encoding.js';
