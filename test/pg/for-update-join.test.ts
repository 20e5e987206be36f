/**
 * SELECT ... FOR UPDATE / FOR SHARE over joins, two sessions at a time, against the transcripts PostgreSQL 15
 * gives (checked against a real PostgreSQL 15 too when one can be started): the rows of every table in FROM
 * that take part in a result row are locked, and only those; OF narrows it to the tables it names; a row
 * changed while the query waited is rechecked as committed (EvalPlanQual); NOWAIT fails at once (55P03).
 */
import { testScenarios, type Scenario } from '../support/two-sessions.js';

const SETUP = [
  'drop table if exists acct',
  'drop table if exists branch',
  'create table branch (bid int primary key, bbal int not null)',
  'create table acct (aid int primary key, bid int not null, abal int not null)',
  'insert into branch values (1, 0), (2, 0)',
  'insert into acct values (1, 1, 0), (2, 1, 0), (3, 2, 0)',
];

const JOIN_ONE = 'select a.aid, b.bid from acct a join branch b on a.bid = b.bid where a.aid = 1';

const SCENARIOS: Scenario[] = [
  {
    name: 'a join locks the joined rows of both tables, and only those',
    steps: [
      ['a', 'begin'],
      ['a', `${JOIN_ONE} for update`],
      ['b', 'update acct set abal = 5 where aid = 2'],
      ['b', 'update branch set bbal = 5 where bid = 2'],
      ['b', 'update branch set bbal = 7 where bid = 1'],
      ['a', 'commit'],
      ['b', 'wait'],
      ['a', 'begin'],
      ['a', `${JOIN_ONE} for share`],
      ['b', 'delete from acct where aid = 1'],
      ['a', 'rollback'],
      ['b', 'wait'],
    ],
    transcript: [
      'a BEGIN',
      'a [[1,1]]',
      'b UPDATE 1',
      'b UPDATE 1',
      'b blocked',
      'a COMMIT',
      'b UPDATE 1',
      'a BEGIN',
      'a [[1,1]]',
      'b blocked',
      'a ROLLBACK',
      'b DELETE 1',
    ],
  },
  {
    name: 'FOR UPDATE OF a locks only the rows of a (comma join, join in WHERE)',
    steps: [
      ['a', 'begin'],
      [
        'a',
        'select a.aid from acct a, branch b where a.bid = b.bid and b.bid = 1 order by a.aid for update of a',
      ],
      ['b', 'update branch set bbal = 1 where bid = 1'],
      ['b', 'update acct set abal = 1 where aid = 3'],
      ['b', 'update acct set abal = 1 where aid = 2'],
      ['a', 'commit'],
      ['b', 'wait'],
    ],
    transcript: ['a BEGIN', 'a [[1],[2]]', 'b UPDATE 1', 'b UPDATE 1', 'b blocked', 'a COMMIT', 'b UPDATE 1'],
  },
  {
    name: 'JOIN USING: a row changed while the query waited is rechecked as committed',
    steps: [
      ['a', 'begin'],
      ['a', 'update acct set abal = 100 where aid = 1'],
      ['b', 'begin'],
      ['b', 'select aid, bbal from acct join branch using (bid) where abal = 0 order by aid for update'],
      ['a', 'commit'],
      ['b', 'wait'],
      ['a', 'update branch set bbal = 1 where bid = 2'],
      ['b', 'commit'],
      ['a', 'wait'],
    ],
    transcript: [
      'a BEGIN',
      'a UPDATE 1',
      'b BEGIN',
      'b blocked',
      'a COMMIT',
      'b [[2,0],[3,0]]',
      'a blocked',
      'b COMMIT',
      'a UPDATE 1',
    ],
  },
  {
    name: 'NOWAIT fails at once on a row another transaction holds; OF narrows what it waits for',
    steps: [
      ['a', 'begin'],
      ['a', 'select bid from branch where bid = 1 for update'],
      ['b', `${JOIN_ONE} for update nowait`],
      ['b', `${JOIN_ONE} for update of a nowait`],
      ['a', 'commit'],
    ],
    transcript: ['a BEGIN', 'a [[1]]', 'b error 55P03', 'b [[1,1]]', 'a COMMIT'],
  },
  {
    name: 'FOR SHARE: readers share the joined rows, a writer waits for every one of them',
    steps: [
      ['a', 'begin'],
      ['a', `${JOIN_ONE} for share`],
      ['b', 'begin'],
      ['b', `${JOIN_ONE} for share`],
      ['b', 'update branch set bbal = 3 where bid = 1'],
      ['a', 'commit'],
      ['b', 'wait'],
      ['b', 'commit'],
    ],
    transcript: [
      'a BEGIN',
      'a [[1,1]]',
      'b BEGIN',
      'b [[1,1]]',
      'b blocked',
      'a COMMIT',
      'b UPDATE 1',
      'b COMMIT',
    ],
  },
  {
    name: 'errors: the nullable side of an outer join; OF naming no FROM item',
    steps: [
      ['a', 'select a.aid from acct a left join branch b on a.bid = b.bid for update'],
      ['a', 'select aid from acct for update of nope'],
    ],
    transcript: ['a error 0A000', 'a error 42P01'],
  },
];

testScenarios(SCENARIOS, SETUP, 'lock');
