// The route every bench:gateway setup serves (the wrk request body's `model`).
export const BENCH_ROUTE = 'bench-chat';
