// The one way a service joins a gossipsub topic: its validator, its message handler and the
// subscription go in together in start and come out together in stop, so no service can leave a
// validator or a listener behind on a stopped node.
import type { GossipSub, Message, TopicValidatorFn } from '@libp2p/gossipsub'

export interface GossipTopicInit {
  topic: string
  /** runs before a message is delivered or forwarded (gossipsub's topic validator) */
  validate: TopicValidatorFn
  /** a message on this topic that passed the validator */
  onMessage?: (msg: Message) => void
}

export interface GossipTopic {
  readonly topic: string
  readonly joined: boolean
  /** Sets the validator, listens and subscribes. Idempotent. */
  join: () => void
  /** Unsubscribes, stops listening and removes the validator. Idempotent. */
  leave: () => void
  publish: (data: Uint8Array) => Promise<void>
}

export function gossipTopic (pubsub: GossipSub, init: GossipTopicInit): GossipTopic {
  let joined = false
  const listener = (evt: CustomEvent<Message>): void => {
    if (evt.detail.topic === init.topic) init.onMessage?.(evt.detail)
  }
  return {
    topic: init.topic,
    get joined () { return joined },
    join () {
      if (joined) return
      joined = true
      pubsub.topicValidators.set(init.topic, init.validate)
      if (init.onMessage != null) pubsub.addEventListener('message', listener)
      pubsub.subscribe(init.topic)
    },
    leave () {
      if (!joined) return
      joined = false
      if (init.onMessage != null) pubsub.removeEventListener('message', listener)
      // gossipsub throws once it is stopped itself; the subscription is gone with it then
      try { pubsub.unsubscribe(init.topic) } catch {}
      pubsub.topicValidators.delete(init.topic)
    },
    async publish (data) {
      await pubsub.publish(init.topic, data)
    }
  }
}
