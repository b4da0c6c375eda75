export default async function globalTeardown() {
  const services = globalThis.__hubServices;
  if (!services) return;
  await services.sqs.stop();
  services.kill();
}
