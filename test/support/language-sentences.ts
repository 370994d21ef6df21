// Sentences the gateway's language detector (gateway/request-language.ts) tells apart, by ISO 639-3 code.

/** One support question in each language, long enough to tell. */
export const SENTENCES = {
  eng: 'Where is my order? I placed it last week and it still has not arrived at my house.',
  spa: '¿Dónde está mi pedido? Lo hice la semana pasada y todavía no ha llegado a mi casa.',
  deu: 'Wo ist meine Bestellung? Ich habe sie letzte Woche aufgegeben und sie ist noch nicht angekommen.',
  fra: "Où est ma commande ? Je l'ai passée la semaine dernière et elle n'est toujours pas arrivée.",
  jpn: '私の注文はどこですか？先週注文したのに、まだ家に届いていません。',
  rus: 'Где мой заказ? Я сделал его на прошлой неделе, и он до сих пор не пришёл.',
} as const;
