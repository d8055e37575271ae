// A card number typed where a CustomerOrder belongs (`GET /order/{CustomerOrder}`), in any form, is never
// repeated: the problem's `instance` and the per-request metrics line show the route pattern.
import { cardForms, cardNumbersIn } from '@tokenization/local-aws/test-support/test-cards';
import t from 'tap';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  orderLogLines,
  testCardNumbers,
} from './helpers/order-stack.js';

const [visa, , amex] = testCardNumbers as readonly string[] as string[];

/** A card number in a URL path: as is, dashed, spaced (%20), and with every digit percent-encoded. */
const pathForms = (card: string) => [
  card,
  cardForms(card)[1] as string,
  encodeURIComponent(cardForms(card)[2] as string),
  [...card].map((digit) => `%${digit.charCodeAt(0).toString(16)}`).join(''),
];

t.test('GET /order/<card number>, with or without an ID token: nothing repeats it', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  for (const card of [visa, amex] as string[]) {
    for (const form of pathForms(card)) {
      for (const [who, token] of [
        ['signed in', alice],
        ['anonymous', undefined],
      ] as const) {
        const name = `${who}, /order/${form.includes('%') ? 'encoded' : form.includes('-') ? 'dashed' : 'plain'}`;
        const from = orderLogLines.length;
        const response = await stack.request('GET', `/order/${form}?q=${form}`, token ? { token } : {});
        const logLines = orderLogLines.slice(from);
        t.ok([400, 401, 404].includes(response.status), `${name}: refused (${response.status})`);
        t.equal(
          response.json().instance,
          '/order/:CustomerOrder',
          `${name}: the instance is the route pattern`,
        );
        t.same(cardNumbersIn(response.text), [], `${name}: not in the answer`);
        t.same(cardNumbersIn(logLines.join('\n')), [], `${name}: not in a log line`);
        const routes = logLines
          .map((line) => JSON.parse(line) as { _aws?: unknown; route?: string })
          .filter((line) => line._aws)
          .map((line) => line.route);
        t.same(routes, ['/order/:CustomerOrder'], `${name}: its one metrics line names the route`);
      }
    }
  }
  const unroutable: [string, string, number][] = [
    ['an unknown route', `/orders/${visa}`, 404],
    ['a bad percent-encoding', `/order/${visa}%`, 400],
    ['a path parameter above its length limit', `/order/${(visa as string).repeat(7)}`, 414],
  ];
  for (const [name, path, status] of unroutable) {
    const from = orderLogLines.length;
    const response = await stack.request('GET', path, { token: alice });
    t.equal(response.status, status, `${name}: ${status}`);
    t.notOk('instance' in response.json(), `${name}, all caller text: no instance`);
    t.same(cardNumbersIn(response.text), [], `${name}: not in the answer`);
    t.same(cardNumbersIn(orderLogLines.slice(from).join('\n')), [], `${name}: not in a log line`);
  }
});

assertNoCardNumberLogged(t);
