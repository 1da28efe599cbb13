// Unrelated text for `feedwatch eval --perturb` (evaluate.h): what reports on the beat carry
// around the story, in English and Russian, none of it about a watched subject. Written apart
// from the example watches, by someone who never saw their queries, to trip keyword filters:
// Moscow, Washington, US, a "round", consultations, ambassadors, courts, seized property, each in
// an unrelated sense. Add to it, never tune it to the watches.
#include <array>
#include <string_view>

#include "daemon/evaluate.h"

namespace feedwatch::daemon {
namespace {

constexpr std::array<std::string_view, 26> kEnglishSentences{{
    R"(Ukraine was not on the agenda, a ministry spokeswoman told reporters.)",
    R"(Brent crude futures fell 1.2% to $63.40 a barrel on Tuesday, while the rouble weakened past 82 to the dollar on the Moscow Exchange.)",
    R"(Spartak beat CSKA 2–1 in Moscow on Sunday in the 20th round of the Russian Premier League.)",
    R"(Foreign Minister Sergei Lavrov is due in Beijing later this week for talks with his Chinese counterpart, Wang Yi.)",
    R"(A Moscow court on Wednesday sentenced a former deputy defence minister to 13 years in a penal colony and ordered the confiscation of his property.)",
    R"(Moscow recorded its heaviest snowfall in decades, with more than 50 centimetres falling in 24 hours, the city’s weather service said.)",
    R"(President Vladimir Putin has offered to keep observing the New START limits for a year after the treaty’s expiry if Washington does the same.)",
    R"(Russia and Ukraine exchanged 146 prisoners of war each on Friday in a swap mediated by the United Arab Emirates.)",
    R"(The U.N. Security Council is due to meet on Thursday at the request of France and Britain.)",
    R"(The EU’s 19th sanctions package, adopted in October, phases out imports of Russian liquefied natural gas by 2027.)",
    R"(Washington imposed sanctions on Rosneft and Lukoil, Russia’s two largest oil companies, in October.)",
    R"(Kremlin spokesman Dmitry Peskov said Putin had “no plans” to travel abroad this month.)",
    R"(The previous round of Russia–Ukraine talks in Istanbul ended after little more than an hour with an agreement to swap prisoners.)",
    R"(Russia’s ambassador to Britain, Andrei Kelin, was summoned to the Foreign Office in London on Monday.)",
    R"(The U.S. Senate has yet to vote on a bill that would impose 500% tariffs on countries buying Russian oil.)",
    R"(Arsenal stayed top of the Premier League after a 2–0 win at Brentford, while Chelsea were held at home by Everton.)",
    R"(SKA St Petersburg lost 4–3 in overtime to Ak Bars in Kazan in the KHL on Tuesday night.)",
    R"(Elections to the State Duma are scheduled for September 2026.)",
    R"(China’s ambassador to Russia, Zhang Hanhui, told a reception in Moscow that bilateral trade had “stabilised”.)",
    R"(The U.S. embassy in Kyiv warned on Sunday of a possible large-scale air attack in the coming days.)",
    R"(Russian forces seized two more villages in the Donetsk region, the Defence Ministry in Moscow said.)",
    R"(Moscow property prices rose 9% year on year in the third quarter, according to a real estate consultancy.)",
    R"(Russian and Chinese deputy foreign ministers held consultations in Moscow on Asia-Pacific security, the ministry said.)",
    R"(Andrey Rublev advanced to the third round of the hardcourt tournament in Washington with a straight-sets win.)",
    R"(Putin and Trump last met in person in Anchorage, Alaska, in August 2025.)",
    R"(Talks between U.S. and Ukrainian delegations in Geneva on a revised peace framework ended late on Sunday — without a joint statement.)",
}};

constexpr std::array<std::string_view, 20>
    kEnglishParagraphs{
        {
            R"(Meanwhile, Russia launched more than 400 drones and 40 missiles at Ukraine overnight, Ukraine’s air force said, in one of the largest attacks of the war. Power outages were reported in Kyiv, Lviv and Kharkiv. The Russian Defence Ministry said it had struck “military-industrial facilities” and energy infrastructure used by the Ukrainian army.)",
            R"(Russian and Ukrainian delegations have met three times in Istanbul since May 2025, agreeing on large prisoner exchanges and the return of soldiers’ bodies but making no progress toward a ceasefire. Vladimir Medinsky, the Kremlin aide who leads the Russian side, has said Moscow is ready for a further round “at any time”. Kyiv insists that any new meeting must be prepared at the level of leaders.)",
            R"(Oil prices extended losses on Wednesday as traders weighed the prospect of a Ukraine settlement against fresh U.S. sanctions on Russian producers. Brent was down 0.8% at $62.10 a barrel by 1200 GMT. The rouble, one of the best-performing currencies of the year, edged down to 80.9 per dollar.)",
            R"(EU ambassadors in Brussels failed on Friday to agree on the bloc’s 20th package of sanctions against Russia, with Slovakia and Hungary raising objections. Diplomats said a new round of discussions was expected next week. The package would add dozens more “shadow fleet” tankers to the blacklist and target banks in third countries.)",
            R"(Lavrov arrives in New Delhi on Thursday for talks with External Affairs Minister S. Jaishankar ahead of the annual Russia–India summit. The two are expected to discuss oil supplies, settlements in national currencies and the North–South transport corridor. Earlier in the month the Russian foreign minister visited Beijing and Ankara.)",
            R"(In a separate case, Moscow’s Meshchansky District Court sentenced a blogger in absentia to eight years in prison for spreading “false information” about the Russian army. The court also ordered his apartment and car to be seized. He left Russia in 2022 and now lives in Tbilisi, his lawyer said.)",
            R"(In the Russian Premier League, Zenit beat Lokomotiv 3–1 in St Petersburg in the 20th round, drawing level on points with leaders Krasnodar. Spartak and Dynamo drew 1–1 in Moscow. The next round is played over the weekend.)",
            R"(In England, Liverpool came from behind to beat Manchester City 2–1 at Anfield. Arsenal’s 3–0 win at Tottenham kept them top of the Premier League with a four-point lead, while Chelsea slipped to fifth after a goalless draw with Everton.)",
            R"(In the KHL, CSKA Moscow beat Dinamo Minsk 4–2 at home, while Metallurg Magnitogorsk extended their winning run to seven games with a shootout victory over Avangard. SKA St Petersburg remain outside the Western Conference’s top four.)",
            R"(Moscow can expect temperatures to drop to minus 18°C overnight into Saturday, the Hydrometeorological Centre said, with heavy snow forecast for Sunday. City authorities said more than 100,000 workers and 15,000 snow ploughs were on standby. Dozens of departures from Sheremetyevo and Vnukovo were delayed on Friday because of de-icing.)",
            R"(The New START treaty, signed in 2010, capped each side at 1,550 deployed strategic warheads. Moscow suspended its participation in 2023 but said it would keep to the limits. Putin has offered to observe them for one more year after the treaty’s expiry if Washington reciprocates; President Trump said it “sounds like a good idea”, but the White House has sent no formal reply.)",
            R"(At the U.N. Security Council in New York, Russia’s U.N. ambassador, Vassily Nebenzia, accused Western members of “prolonging the conflict” with arms deliveries to Kyiv. The U.S. representative said Washington remained committed to a “just and lasting peace”. A U.S.-drafted resolution was adopted with 10 votes in favour and five abstentions.)",
            R"(Russia and Ukraine carried out another exchange of prisoners of war on Thursday, each side returning 84 people. Among the Ukrainians freed were servicemen held since 2022, Kyiv’s coordination headquarters said. The United Arab Emirates again acted as mediator.)",
            R"(Russian–Chinese consultations on strategic security were held in Moscow on Tuesday, the Foreign Ministry said. The delegations discussed the situation in the Asia-Pacific region and cooperation within BRICS and the Shanghai Cooperation Organisation. The next round is planned in Beijing.)",
            R"(Relations between Moscow and London remain at a low ebb. Britain expelled a Russian diplomat in May and Moscow responded in kind, summoning the British ambassador, Nigel Casey. Andrei Kelin, Russia’s ambassador in London, has described bilateral contacts as “practically frozen”.)",
            R"(On Capitol Hill, a bipartisan group of senators led by Lindsey Graham and Richard Blumenthal continues to press for a vote on the Sanctioning Russia Act, which has more than 80 co-sponsors. House Speaker Mike Johnson said the chamber would take up the bill “when the president gives the green light”.)",
            R"(Peskov told reporters that Putin’s schedule for the week included a meeting of the Security Council, talks with the head of the Central Bank and a trip to the Far East. He declined to comment on reports of a possible phone call with Trump, saying the Kremlin would announce it “in due course”.)",
            R"(Elections to the State Duma are due in September 2026, alongside regional and municipal polls in dozens of regions. The Central Election Commission has said voting will again be spread over three days, with online voting available in some regions.)",
            R"(Separately, U.S. special envoy Steve Witkoff held talks with Putin in the Kremlin on Washington’s plan to end the war in Ukraine. Kremlin aide Yuri Ushakov described the five-hour meeting as “useful” but said no compromise had yet been found on territorial issues.)",
            R"(In the United States, a federal judge allowed prosecutors to proceed with the sale of the superyacht Amadea, seized in Fiji in 2022, which Washington says belongs to sanctioned billionaire Suleiman Kerimov. A Russian businessman who claims to own the vessel has said he will appeal.)",
        }};

constexpr std::array<std::string_view, 26> kRussianSentences{{
    R"(Украина в повестку дня не входила, уточнили в министерстве.)",
    R"(«Спартак» в воскресенье обыграл ЦСКА со счетом 2:1 в московском дерби 20-го тура Российской премьер-лиги.)",
    R"(Стоимость фьючерса на нефть марки Brent в среду снизилась на 1,1% — до $63,2 за баррель, а курс доллара на внебиржевом рынке превысил 81 рубль.)",
    R"(Сергей Лавров на этой неделе посетит Пекин, где проведет переговоры с главой МИД КНР Ван И.)",
    R"(Мещанский суд Москвы заочно приговорил блогера к восьми годам колонии и постановил конфисковать его квартиру.)",
    R"(В ночь на субботу в Москве ожидается до минус 18 градусов, сообщили в Гидрометцентре.)",
    R"(Путин предложил в течение года после истечения срока действия ДСНВ продолжать соблюдать его количественные ограничения — при условии, что США поступят так же.)",
    R"(Россия и Украина в пятницу провели обмен военнопленными по формуле 84 на 84 при посредничестве ОАЭ.)",
    R"(Совет Безопасности ООН в четверг соберется на заседание по просьбе Франции и Великобритании.)",
    R"(Евросоюз утвердил 19-й пакет санкций, который предусматривает отказ от импорта российского СПГ с 2027 года.)",
    R"(Минфин США в октябре ввел санкции против «Роснефти» и «Лукойла».)",
    R"(Зарубежных поездок в графике президента в ближайшие недели нет, сообщил Дмитрий Песков.)",
    R"(Предыдущий раунд переговоров России и Украины в Стамбуле продлился чуть больше часа.)",
    R"(Посла России в Великобритании Андрея Келина в понедельник вызвали в Форин-офис.)",
    R"(Сенат США до сих пор не проголосовал за законопроект о 500-процентных пошлинах для покупателей российской нефти.)",
    R"(СКА на своем льду уступил казанскому «Ак Барсу» в овертайме — 3:4.)",
    R"(«Арсенал» сохранил лидерство в АПЛ, обыграв на выезде «Брентфорд» — 2:0.)",
    R"(Выборы в Госдуму пройдут в сентябре 2026 года.)",
    R"(Посол Китая в Москве Чжан Ханьхуэй заявил, что товарооборот двух стран «стабилизировался».)",
    R"(В посольстве США в Киеве в воскресенье предупредили о возможной массированной атаке.)",
    R"(Российские войска заняли еще два населенных пункта в Донецкой области, сообщили в Минобороны.)",
    R"(Цены на вторичное жилье в Москве за год выросли на 9%, подсчитали аналитики.)",
    R"(Консультации заместителей министров иностранных дел России и Китая прошли в Москве во вторник.)",
    R"(Андрей Рублев вышел в третий круг турнира в Вашингтоне, не отдав соперникам ни одного сета.)",
    R"(Суд в Москве арестовал имущество бывшего замминистра обороны на сумму более 1 млрд рублей.)",
    R"(Последняя очная встреча Путина и Трампа состоялась в августе 2025 года в Анкоридже.)",
}};

constexpr std::array<std::string_view, 20> kRussianParagraphs{{
    R"(Тем временем в ночь на среду Россия выпустила по Украине более 400 беспилотников и 40 ракет, сообщили в ВСУ. Перебои с электричеством зафиксированы в Киеве, Львове и Харькове. В Минобороны России заявили о поражении «объектов военно-промышленного комплекса» и энергетической инфраструктуры.)",
    R"(С мая 2025 года делегации России и Украины трижды встречались в Стамбуле. По итогам встреч стороны договорились о масштабных обменах пленными и передаче тел погибших, однако продвинуться к прекращению огня не удалось. Глава российской делегации Владимир Мединский говорил, что Москва готова к следующему раунду «в любое время».)",
    R"(Нефтяные котировки в среду продолжили снижение: трейдеры оценивают шансы на урегулирование на Украине и последствия новых американских санкций против российских нефтяников. К 15:00 мск Brent подешевела на 0,8%, до $62,1 за баррель. Рубль, который остается одной из самых сильных валют года, слегка ослаб — до 80,9 за доллар.)",
    R"(Послы стран ЕС в Брюсселе в пятницу не смогли согласовать 20-й пакет санкций против России: возражения выдвинули Словакия и Венгрия. По словам дипломатов, новый раунд обсуждений пройдет на следующей неделе. Пакет предполагает внесение в черный список еще нескольких десятков танкеров «теневого флота» и ограничения против банков третьих стран.)",
    R"(В четверг Лавров прибудет в Нью-Дели, где проведет переговоры с министром иностранных дел Индии Субраманьямом Джайшанкаром в преддверии ежегодного саммита. Министры обсудят поставки нефти, расчеты в национальных валютах и транспортный коридор «Север — Юг». Ранее в этом месяце глава МИД РФ побывал в Пекине и Анкаре.)",
    R"(Мещанский районный суд Москвы заочно приговорил блогера к восьми годам лишения свободы по делу о «фейках» о российской армии. Суд также постановил конфисковать его квартиру и автомобиль. Как рассказал адвокат, его подзащитный уехал из России в 2022 году и живет в Тбилиси.)",
    R"(В 20-м туре РПЛ «Зенит» в Санкт-Петербурге обыграл «Локомотив» — 3:1 — и сравнялся по очкам с лидирующим «Краснодаром». Московские «Спартак» и «Динамо» сыграли вничью 1:1. Следующий тур пройдет в выходные.)",
    R"(В Англии «Ливерпуль» отыгрался и победил «Манчестер Сити» на «Энфилде» со счетом 2:1. «Арсенал», разгромивший «Тоттенхэм» — 3:0, — сохранил четырехочковый отрыв на вершине таблицы АПЛ, а «Челси» после нулевой ничьей с «Эвертоном» опустился на пятое место.)",
    R"(В КХЛ московский ЦСКА дома обыграл минское «Динамо» — 4:2, а магнитогорский «Металлург» довел победную серию до семи матчей, переиграв «Авангард» в серии буллитов. СКА по-прежнему остается за пределами первой четверки Западной конференции.)",
    R"(В ночь на субботу в столице похолодает до минус 18 градусов, в воскресенье синоптики прогнозируют сильный снегопад. В мэрии сообщили, что к уборке снега готовы более 100 тысяч сотрудников коммунальных служб и 15 тысяч единиц техники. В пятницу из-за обработки самолетов противообледенительной жидкостью в Шереметьеве и Внукове задержали десятки рейсов.)",
    R"(Договор СНВ-3 был подписан в 2010 году и ограничивал число развернутых стратегических боезарядов каждой из сторон 1550 единицами. В 2023 году Москва приостановила участие в договоре, но заявила, что продолжит соблюдать ограничения. Путин предложил придерживаться их еще год после истечения срока действия договора, если Вашингтон ответит тем же; Трамп назвал идею «хорошей», однако официального ответа из Белого дома не последовало.)",
    R"(На заседании Совбеза ООН в Нью-Йорке постпред России при ООН Василий Небензя обвинил западных членов совета в «затягивании конфликта» поставками оружия Киеву. Представитель США заявил, что Вашингтон по-прежнему добивается «справедливого и прочного мира». Проект резолюции, внесенный американской стороной, был принят десятью голосами при пяти воздержавшихся.)",
    R"(В четверг Россия и Украина провели очередной обмен военнопленными — стороны передали друг другу по 84 человека. Среди освобожденных украинцев есть военнослужащие, находившиеся в плену с 2022 года, сообщили в Координационном штабе в Киеве. Посредником вновь выступили ОАЭ.)",
    R"(Во вторник в Москве прошли российско-китайские консультации по вопросам стратегической безопасности, сообщили в МИД РФ. Стороны обсудили ситуацию в Азиатско-Тихоокеанском регионе и взаимодействие в БРИКС и ШОС. Следующий раунд запланирован в Пекине.)",
    R"(Отношения Москвы и Лондона остаются на низшей точке. В мае Великобритания выслала российского дипломата, Москва ответила зеркально и вызвала в МИД британского посла Найджела Кейси. Посол России в Лондоне Андрей Келин называл двусторонние контакты «практически замороженными».)",
    R"(В Конгрессе США группа сенаторов от обеих партий во главе с Линдси Грэмом и Ричардом Блюменталем продолжает добиваться голосования по законопроекту о санкциях против России, у которого более 80 соавторов. Спикер Палаты представителей Майк Джонсон заявил, что нижняя палата рассмотрит документ, «когда президент даст зеленый свет».)",
    R"(Как рассказал журналистам Дмитрий Песков, в рабочем графике Путина на неделе — заседание Совбеза, встреча с главой ЦБ и поездка на Дальний Восток. Комментировать сообщения о возможном телефонном разговоре с Трампом он отказался, пообещав, что Кремль объявит о нем «своевременно».)",
    R"(Выборы в Госдуму пройдут в сентябре 2026 года, одновременно с региональными и муниципальными кампаниями в десятках регионов. В ЦИК сообщили, что голосование вновь будет трехдневным, а в ряде регионов будет доступно электронное голосование.)",
    R"(Кроме того, спецпосланник президента США Стив Уиткофф провел в Кремле переговоры с Путиным по американскому плану урегулирования на Украине. Помощник президента Юрий Ушаков назвал пятичасовую встречу «полезной», но отметил, что компромисса по территориальному вопросу пока не найдено.)",
    R"(Генпрокуратура добилась обращения в доход государства активов бывшего владельца крупного агрохолдинга: суд в Москве конфисковал акции компании, земельные участки и несколько объектов недвижимости. Защита намерена обжаловать решение в апелляционной инстанции.)",
}};

template <size_t N>
std::vector<std::string> Copy(const std::array<std::string_view, N>& texts) {
  return {texts.begin(), texts.end()};
}

}  // namespace

const Distractors& BuiltInDistractors(Language language) {
  static const Distractors english{Copy(kEnglishSentences), Copy(kEnglishParagraphs)};
  static const Distractors russian{Copy(kRussianSentences), Copy(kRussianParagraphs)};
  return language == Language::kRussian ? russian : english;
}

}  // namespace feedwatch::daemon
