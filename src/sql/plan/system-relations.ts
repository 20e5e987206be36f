/**
 * SystemRelations answers queries on pg_catalog and information_schema relations (what psql's \d and
 * drivers' type queries read), computed from the catalog.
 */
import type { CatalogView } from '../catalog/catalog.js';
import type { Plan } from './plan.js';

export interface SystemRelations {
  /** relation returns a plan for a system relation, or undefined when there is none by that name. */
  relation(schema: string | undefined, name: string, catalog: CatalogView): Plan | undefined;
}
