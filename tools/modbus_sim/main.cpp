// modbus_sim: a hall's facility devices as Modbus slaves, built on libmodbus (an implementation
// independent of halld's, from Debian's libmodbus-dev) — for the demo and for the tests of halld's
// Modbus master. The devices and their register maps match the models in config/protocols/
// (facility_*.yaml); the values move with time as a real hall's would.
//   unit 1 environment sensor: input 0 temperature s16 ×0.1 °C, input 1 humidity u16 ×0.1 %RH
//   unit 2 power meter: input 0–1 power f32 kW (high word first), input 2–3 energy u32 ×0.1 kWh
//          (low word first)
//   unit 3 air conditioner: coil 0 on/off, holding 0 set point u16 ×0.1 °C (16–30), input 0
//          supply-air temperature s16 ×0.1 °C
//   unit 4 lighting: coils 0–3 the zones' lights
//   unit 5 people counter: input 0 people in the hall, discrete input 0 the counter's health
// Usage: modbus_sim tcp PORT_FILE          listens on 127.0.0.1 at a free port, written to
// PORT_FILE
//        modbus_sim tcp --port N           listens on 127.0.0.1:N
//        modbus_sim rtu DEVICE UNIT [BAUD]  one unit on a serial line (libmodbus answers one slave)
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

constexpr int units = 5;

struct Hall {
  std::array<modbus_mapping_t*, units + 1> maps{};  // by unit; [0] unused
  double energy_kwh = 12'345.6;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last = started;

  Hall() {
    for (int unit = 1; unit <= units; ++unit) maps[unit] = modbus_mapping_new(8, 8, 8, 8);
    maps[3]->tab_bits[0] = 1;         // the air conditioner runs
    maps[3]->tab_registers[0] = 240;  // at 24.0 °C
    for (int zone = 0; zone < 4; ++zone) maps[4]->tab_bits[zone] = 1;
    maps[5]->tab_input_bits[0] = 1;
    update();
  }
  ~Hall() {
    for (int unit = 1; unit <= units; ++unit) modbus_mapping_free(maps[unit]);
  }

  // The values a hall shows at this moment: slow waves over a quarter of an hour, so that a
  // chart of the last hour moves.
  void update() {
    const auto now = std::chrono::steady_clock::now();
    const double t = std::chrono::duration<double>(now - started).count();
    const double hours = std::chrono::duration<double>(now - last).count() / 3600;
    last = now;
    const double wave = std::sin(t / 900 * 2 * M_PI);
    const double people = 18 + 12 * std::sin(t / 1800 * 2 * M_PI);
    const bool ac_on = maps[3]->tab_bits[0] != 0;
    const double set_point = maps[3]->tab_registers[0] / 10.0;
    const double room = ac_on ? set_point + 1.2 + 0.6 * wave : 28.5 + wave;
    int lights_on = 0;
    for (int zone = 0; zone < 4; ++zone) lights_on += maps[4]->tab_bits[zone] != 0;
    const double power_kw = 3.5 + lights_on * 0.8 + (ac_on ? 6.0 + 1.5 * wave : 0) + people * 0.02;
    energy_kwh += power_kw * hours;

    maps[1]->tab_input_registers[0] =
        static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(room * 10)));
    maps[1]->tab_input_registers[1] = static_cast<std::uint16_t>(std::lround((55 + 8 * wave) * 10));
    std::uint32_t power_bits = 0;
    const float power = static_cast<float>(power_kw);
    std::memcpy(&power_bits, &power, sizeof power_bits);
    maps[2]->tab_input_registers[0] = static_cast<std::uint16_t>(power_bits >> 16);
    maps[2]->tab_input_registers[1] = static_cast<std::uint16_t>(power_bits & 0xFFFF);
    const auto energy = static_cast<std::uint32_t>(std::llround(energy_kwh * 10));
    maps[2]->tab_input_registers[2] = static_cast<std::uint16_t>(energy & 0xFFFF);
    maps[2]->tab_input_registers[3] = static_cast<std::uint16_t>(energy >> 16);
    maps[3]->tab_input_registers[0] = static_cast<std::uint16_t>(
        static_cast<std::int16_t>(std::lround((ac_on ? set_point - 8 : room) * 10)));
    maps[5]->tab_input_registers[0] =
        static_cast<std::uint16_t>(std::lround(std::max(0.0, people)));
  }

  // Answers one request; a unit that is not one of the hall's answers "gateway target failed".
  void answer(modbus_t* ctx, const std::uint8_t* query, int length, int unit_at) {
    update();
    const int unit = query[unit_at];
    if (unit < 1 || unit > units) {
      modbus_reply_exception(ctx, query, MODBUS_EXCEPTION_GATEWAY_TARGET);
      return;
    }
    // The set point stays within what the air conditioner takes.
    modbus_reply(ctx, query, length, maps[unit]);
    auto& set_point = maps[3]->tab_registers[0];
    if (set_point < 160) set_point = 160;
    if (set_point > 300) set_point = 300;
  }
};

int serve_tcp(int port, const char* port_file) {
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
  int listener = ctx ? modbus_tcp_listen(ctx, 16) : -1;
  if (listener < 0) {
    std::fprintf(stderr, "modbus_sim: cannot listen: %s\n", modbus_strerror(errno));
    return 1;
  }
  if (port_file) {
    sockaddr_in address{};
    socklen_t size = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
    const std::string temporary = std::string(port_file) + ".new";
    std::ofstream(temporary) << ntohs(address.sin_port);
    std::rename(temporary.c_str(), port_file);
  }
  Hall hall;
  fd_set open;
  FD_ZERO(&open);
  FD_SET(listener, &open);
  int highest = listener;
  std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  for (;;) {
    fd_set ready = open;
    if (select(highest + 1, &ready, nullptr, nullptr, nullptr) < 0) return 1;
    for (int fd = 0; fd <= highest; ++fd) {
      if (!FD_ISSET(fd, &ready)) continue;
      if (fd == listener) {
        sockaddr_in peer{};
        socklen_t size = sizeof peer;
        const int client = accept(listener, reinterpret_cast<sockaddr*>(&peer), &size);
        if (client < 0) continue;
        FD_SET(client, &open);
        highest = std::max(highest, client);
        continue;
      }
      modbus_set_socket(ctx, fd);
      const int length = modbus_receive(ctx, query);
      if (length > 0) {
        hall.answer(ctx, query, length, 6);  // the MBAP header's unit identifier
      } else if (length < 0) {
        close(fd);
        FD_CLR(fd, &open);
      }
    }
  }
}

int serve_rtu(const char* device, int unit, int baud) {
  modbus_t* ctx = modbus_new_rtu(device, baud, 'N', 8, 1);
  if (!ctx || modbus_set_slave(ctx, unit) < 0 || modbus_connect(ctx) < 0) {
    std::fprintf(stderr, "modbus_sim: cannot open %s: %s\n", device, modbus_strerror(errno));
    return 1;
  }
  Hall hall;
  std::uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
  for (;;) {
    const int length = modbus_receive(ctx, query);
    if (length > 0) hall.answer(ctx, query, length, 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "tcp" && argc == 3) return serve_tcp(0, argv[2]);
  if (mode == "tcp" && argc == 4 && std::string(argv[2]) == "--port")
    return serve_tcp(std::atoi(argv[3]), nullptr);
  if (mode == "rtu" && (argc == 4 || argc == 5))
    return serve_rtu(argv[2], std::atoi(argv[3]), argc == 5 ? std::atoi(argv[4]) : 9600);
  std::fprintf(stderr, "usage: modbus_sim tcp PORT_FILE | tcp --port N | rtu DEVICE UNIT [BAUD]\n");
  return 2;
}
