import type { components, operations } from '@tokenization/contracts/order';
import type { OperationHandlers } from '@tokenization/service-kit/operation-handlers';
import type { OrderRequest, PlacedOrder } from '../domain/order.js';
import type { Orders } from '../domain/orders.js';
import { callerOf } from './authentication.js';

type Schemas = components['schemas'];

/** The handlers of the contract's operations, keyed by operationId. */
export function orderHandlers(orders: Orders): OperationHandlers<operations> {
  return {
    // 200, not 201, for a new order as for a replay: the sample answered 200 and its clients expect it.
    async createOrder(request) {
      const body: OrderRequest = request.body;
      const { cardToken } = await orders.create(callerOf(request).sub, body, request.log);
      return {
        message: 'Order Created Successfully',
        CreditCardToken: cardToken,
      } satisfies Schemas['OrderCreated'];
    },

    async getOrder(request) {
      const { CustomerOrder } = request.params;
      return orderView(await orders.get(callerOf(request).sub, CustomerOrder));
    },

    async payBill(request) {
      const { CustomerOrder } = request.body;
      const { maskedCard } = await orders.pay(callerOf(request).sub, CustomerOrder, request.log);
      return {
        message: 'Payment Submitted Successfully',
        'CreditCard Charged': maskedCard,
      } satisfies Schemas['PaymentSubmitted'];
    },

    async live() {
      return { status: 'ok' } satisfies Schemas['Health'];
    },

    async ready() {
      await orders.checkHealth();
      return { status: 'ok', checks: { store: 'ok' } } satisfies Schemas['Health'];
    },
  };
}

function orderView(order: PlacedOrder): Schemas['Order'] {
  return {
    CustomerOrder: order.customerOrder,
    CustomerName: order.customerName,
    Address: order.address,
    CreditCardToken: order.cardToken,
    CardLast4: order.cardLast4,
    CardBrand: order.cardBrand,
    Status: order.status,
    CreatedAt: order.createdAt.toISOString(),
    ...(order.paidAt ? { PaidAt: order.paidAt.toISOString() } : {}),
    ...(order.chargeId ? { ChargeId: order.chargeId } : {}),
  };
}
