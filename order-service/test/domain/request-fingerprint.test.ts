import t from 'tap';
import { requestFingerprint } from '../../src/domain/order.js';

t.test('the request fingerprint covers every field but the card, of which only the last four', async (t) => {
  const base = { customerOrder: '1', customerName: 'n', address: 'a', cardLast4: '1111' };
  const fingerprint = requestFingerprint(base);
  t.match(fingerprint, /^[A-Za-z0-9_-]{43}$/);
  t.equal(requestFingerprint({ ...base }), fingerprint, 'stable');
  for (const field of Object.keys(base) as (keyof typeof base)[]) {
    t.not(requestFingerprint({ ...base, [field]: `${base[field]}x` }), fingerprint, `${field} changes it`);
  }
  t.not(
    requestFingerprint({ ...base, customerName: 'n","a' }),
    requestFingerprint({ ...base, customerName: 'n', address: '","a' }),
    'fields cannot run into each other',
  );
});
