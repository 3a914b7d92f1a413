import { GetQueryResultsCommand, InvalidRequestException } from '@aws-sdk/client-athena';
import 'aws-sdk-client-mock-jest';
import { AthenaSdkResults } from '../../../handlers/aws/athena-results';
import { MAX_ATHENA_DATA_ROWS, TooManyResultRowsError } from '../../../handlers/ports/athena-results';
import { fakeAthenaResults, type FakeQueryResult } from './fake-athena';

const ID = '6f3f1e7c-1d2b-4c3a-9e8f-0a1b2c3d4e5f';
const scan = (n: number): FakeQueryResult => ({
  columns: ['srcaddr', 'value'],
  rows: Array.from({ length: n }, (_, i) => [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i % 7 === 0 ? null : String(50 + i)]),
});

describe('AthenaSdkResults', () => {
  let fake: ReturnType<typeof fakeAthenaResults>;
  afterEach(() => fake.mock.restore());

  it('reads every page: 2,500 data rows over 3 pages, the header once and first', async () => {
    fake = fakeAthenaResults(new Map([[ID, scan(2500)]]));
    const rows = await new AthenaSdkResults(fake.client).rows(ID);
    expect(rows).toHaveLength(2501);
    expect(rows[0]).toEqual({ Data: [{ VarCharValue: 'srcaddr' }, { VarCharValue: 'value' }] });
    expect(rows.filter((r) => r.Data[0]?.VarCharValue === 'srcaddr')).toHaveLength(1);
    expect(rows[1]).toEqual({ Data: [{ VarCharValue: '10.0.0.0' }, {}] });
    expect(rows[2499]).toEqual({ Data: [{ VarCharValue: '10.0.9.194' }, { VarCharValue: '2548' }] });
    expect(rows[2500]?.Data[0]).toEqual({ VarCharValue: '10.0.9.195' });
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 3);
    expect(fake.mock).toHaveReceivedNthCommandWith(1, GetQueryResultsCommand, { QueryExecutionId: ID, MaxResults: 1000 });
    expect(fake.mock).toHaveReceivedNthCommandWith(2, GetQueryResultsCommand, { QueryExecutionId: ID, MaxResults: 1000, NextToken: 'token-1' });
    // Plain JSON, as a state or a test would hold it.
    expect(JSON.parse(JSON.stringify(rows))).toEqual(rows);
  });

  it('an empty result is the header alone', async () => {
    fake = fakeAthenaResults(new Map([[ID, scan(0)]]));
    expect(await new AthenaSdkResults(fake.client).rows(ID)).toEqual([{ Data: [{ VarCharValue: 'srcaddr' }, { VarCharValue: 'value' }] }]);
  });

  it(`reads exactly ${MAX_ATHENA_DATA_ROWS} data rows, and refuses one more (the rule fails, recorded) without reading on`, async () => {
    fake = fakeAthenaResults(new Map([[ID, scan(MAX_ATHENA_DATA_ROWS)]]));
    expect(await new AthenaSdkResults(fake.client).rows(ID)).toHaveLength(MAX_ATHENA_DATA_ROWS + 1);
    fake.mock.restore();

    fake = fakeAthenaResults(new Map([[ID, scan(25_000)]]));
    const read = new AthenaSdkResults(fake.client).rows(ID);
    await expect(read).rejects.toBeInstanceOf(TooManyResultRowsError);
    await expect(read).rejects.toThrow(`Athena query ${ID}: more than 10000 result rows`);
    // 10,001 data rows and the header fill eleven pages; nothing after them is read.
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 11);
  });

  it('passes on what Athena refuses (an unknown query)', async () => {
    fake = fakeAthenaResults(new Map());
    await expect(new AthenaSdkResults(fake.client).rows(ID)).rejects.toBeInstanceOf(InvalidRequestException);
  });
});

describe('the fake honours GetQueryResults’ rules', () => {
  let fake: ReturnType<typeof fakeAthenaResults>;
  afterEach(() => fake.mock.restore());

  it('refuses MaxResults over 1000 and a NextToken it did not issue', async () => {
    fake = fakeAthenaResults(new Map([[ID, scan(10)]]));
    await expect(fake.client.send(new GetQueryResultsCommand({ QueryExecutionId: ID, MaxResults: 1001 }))).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(fake.client.send(new GetQueryResultsCommand({ QueryExecutionId: ID, NextToken: 'made-up' }))).rejects.toBeInstanceOf(InvalidRequestException);
  });

  it('puts the header on the first page only', async () => {
    fake = fakeAthenaResults(new Map([[ID, scan(3)]]));
    const first = await fake.client.send(new GetQueryResultsCommand({ QueryExecutionId: ID, MaxResults: 2 }));
    const second = await fake.client.send(new GetQueryResultsCommand({ QueryExecutionId: ID, MaxResults: 2, NextToken: first.NextToken }));
    expect(first.ResultSet?.Rows?.[0]?.Data?.[0]?.VarCharValue).toBe('srcaddr');
    expect(second.ResultSet?.Rows?.map((r) => r.Data?.[0]?.VarCharValue)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(second.NextToken).toBeUndefined();
  });
});
