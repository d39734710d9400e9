import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followable, namedValues, routesOf } from '../../src/follow/routes.js';
import { findSink, SINKS } from '../../src/sinks/index.js';
import type { Sink } from '../../src/sinks/types.js';
import { transactionsBehind } from '../../src/status/status.js';

const sink = (name: string): Sink => findSink(name) as Sink;

describe('follow routes: from a changed LMS row to object keys, read off the sinks', () => {
  it('an object\'s own table names its key; a joined table names the joined column', () => {
    const routes = routesOf(sink('course_enrollment'));
    assert.deepEqual(routes.map((route) => [route.table, route.column, route.joinedAs]), [
      ['student_courseenrollment', 'id', undefined], ['auth_user', 'id', 'u']]);
    assert.deepEqual([...(routes.find((route) => route.table === 'auth_user')?.columns ?? [])].sort(), ['id', 'username']);
    assert.deepEqual(routesOf(sink('external_id')).map((route) => [route.table, route.column, route.joinedAs]), [
      ['external_user_ids_externalid', 'id', undefined], ['external_user_ids_externalidtype', 'id', 't'], ['auth_user', 'id', 'u']]);
  });

  it('an update of columns the object does not read names nothing; inserts, deletes and reads do', () => {
    const user = routesOf(sink('user_profile')).find((route) => route.table === 'auth_user');
    assert.ok(user);
    const login = { before: { id: 9, username: 'a', email: 'a@x', last_login: new Date(0) }, after: { id: 9, username: 'a', email: 'a@x', last_login: new Date(1) } };
    assert.deepEqual(namedValues(user, login), []);
    assert.deepEqual(namedValues(user, { ...login, after: { ...login.after, email: 'b@x' } }), [9]);
    assert.deepEqual(namedValues(user, { after: { id: 10 } }), [10]);
    assert.deepEqual(namedValues(user, { before: { id: 11 } }), [11]);
  });

  it('follows the objects whose rows come from MySQL rows alone', () => {
    assert.deepEqual(SINKS.filter(followable).map((each) => each.name), ['user_profile', 'external_id', 'course_enrollment', 'taxonomy']);
  });

  it('counts the transactions a MariaDB GTID position is behind, per domain; null for what it cannot read', () => {
    assert.equal(transactionsBehind('0-1-10', '0-1-12'), 2);
    assert.equal(transactionsBehind('0-1-10,1-2-5', '0-1-10,1-2-9'), 4);
    assert.equal(transactionsBehind('0-1-10', '0-1-10,1-2-3'), 3);
    assert.equal(transactionsBehind('0-1-12', '0-1-12'), 0);
    assert.equal(transactionsBehind('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5', '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-7'), null);
  });
});
