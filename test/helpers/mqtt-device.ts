import mqtt, { type MqttClient } from 'mqtt';

export interface MqttDevice {
  client: MqttClient;
  /** Everything the gateway sent to the device's inbox, parsed. */
  inbox: Array<{ type: string } & Record<string, unknown>>;
}

/** A device as the gateway sees one: connected over MQTT with its token, subscribed to its inbox. */
export async function connectDevice(gateway: string, deviceId: string, token: string): Promise<MqttDevice> {
  const client = await mqtt.connectAsync(gateway, {
    clientId: deviceId,
    username: deviceId,
    password: token,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const inbox: MqttDevice['inbox'] = [];
  client.on('message', (_topic, payload) => inbox.push(JSON.parse(payload.toString())));
  await client.subscribeAsync(`hx/d/${deviceId}/inbox`, { qos: 1 });
  return { client, inbox };
}
