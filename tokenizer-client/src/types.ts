// The request and answer bodies of the tokenizer API: the contract's generated types, renamed for callers.
import type { components } from '@tokenization/contracts/tokenizer';

type Schemas = components['schemas'];

export type TokenizeRequest = Schemas['TokenizeRequest'];
export type TokenizeResult = Schemas['TokenizeResult'];
export type TokenizeBatchRequest = Schemas['TokenizeBatchRequest'];
export type TokenizeBatchResponse = Schemas['TokenizeBatchResponse'];
export type DetokenizeRequest = Schemas['DetokenizeRequest'];
export type DetokenizeResponse = Schemas['DetokenizeResponse'];
export type TokenMetadata = Schemas['TokenMetadata'];
export type Health = Schemas['Health'];
export type CardFacts = Schemas['CardFacts'];
export type ItemErrorDetail = Schemas['ItemErrorDetail'];
export type VerifyRequest = Schemas['VerifyRequest'];
export type VerifyResult = Schemas['VerifyResult'];
export type ForwardRequest = Schemas['ForwardRequest'];
export type ForwardResult = Schemas['ForwardResult'];
